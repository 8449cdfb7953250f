import Foundation

/// Reads ExperienceEvent JSON Lines inputs and hands batches of events to a
/// store's writer; the next chunk is parsed on both cores while the previous
/// batch is written.
public struct EventInputReader: Sendable {
    /// Rejected lines tolerated before the import stops.
    public var maxErrors: Int
    public var batchSize: Int

    public init(maxErrors: Int = 100, batchSize: Int = 50_000) {
        self.maxErrors = maxErrors
        self.batchSize = batchSize
    }

    /// Reads `inputs` in order; `write` stores one batch and is never called twice at once.
    public func run(
        _ inputs: [ImportInput], onReject: (ImportRejection) -> Void,
        write: @escaping @Sendable ([ImportedEvent]) async throws -> EventImportSummary
    ) async throws -> EventImportSummary {
        var summary = EventImportSummary()
        var inflight: Task<EventImportSummary, Error>?
        var batch: [ImportedEvent] = []
        batch.reserveCapacity(batchSize)
        func settle() async throws {
            guard let task = inflight else { return }
            inflight = nil
            summary.add(try await task.value)
        }
        func submit() async throws {
            try await settle()
            guard !batch.isEmpty else { return }
            let rows = batch
            batch.removeAll(keepingCapacity: true)
            inflight = Task { try await write(rows) }
        }
        // Every file is opened before any event is written, so a mistyped second
        // name does not leave the first file half imported.
        var readers: [(ImportInput, LineReader)] = []
        for input in inputs {
            switch input {
            case .file(let path): readers.append((input, try LineReader(path: path)))
            case .standardInput:
                readers.append((input, LineReader(fileDescriptor: STDIN_FILENO, ownsDescriptor: false)))
            }
        }
        do {
            inputs: for (input, reader) in readers {
                var chunk = LineChunk()
                while true {
                    chunk.removeAll()
                    while chunk.count < Self.linesPerChunk, let line = try reader.nextLine() {
                        chunk.append(line, number: reader.lineNumber)
                    }
                    if chunk.count == 0 { break }
                    let parsedLines = await Self.parseInParallel(chunk)
                    for (index, parsed) in parsedLines.enumerated() {
                        switch parsed {
                        case .skip: continue
                        case .event(let event):
                            batch.append(event)
                            if batch.count >= batchSize { try await submit() }
                        case .rejected(let reason):
                            summary.rejected += 1
                            onReject(
                                ImportRejection(file: input.displayName, line: chunk.lineNumbers[index], reason: reason)
                            )
                            if summary.rejected > maxErrors {
                                summary.stoppedEarly = true
                                break inputs
                            }
                        }
                    }
                }
            }
            try await submit()
            try await settle()
        } catch {
            // What the caller sees committed after an error is exactly the batches before it.
            _ = try? await inflight?.value
            throw error
        }
        return summary
    }

    static let linesPerChunk = 8192

    /// Parses a chunk's lines in two halves at once, results in line order.
    static func parseInParallel(_ chunk: LineChunk) async -> [EventLineParser.Parsed] {
        let half = chunk.count / 2
        async let first = chunk.map(0..<half, EventLineParser.parse)
        let second = chunk.map(half..<chunk.count, EventLineParser.parse)
        return await first + second
    }
}

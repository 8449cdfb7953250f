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
        var assembler = EventBatchAssembler(maxErrors: maxErrors, batchSize: batchSize)
        var written = EventImportSummary()
        var inflight: Task<EventImportSummary, Error>?
        func settle() async throws {
            guard let task = inflight else { return }
            inflight = nil
            written.add(try await task.value)
        }
        func submit(_ rows: [ImportedEvent]) async throws {
            try await settle()
            guard !rows.isEmpty else { return }
            inflight = Task { try await write(rows) }
        }
        let readers = try Self.open(inputs)
        do {
            inputs: for (input, reader) in readers {
                var chunk = LineChunk()
                while try Self.read(reader, into: &chunk) {
                    var parsed = await Self.parseInParallel(chunk)
                    for batch in assembler.add(&parsed, of: chunk, from: input, onReject: onReject) {
                        try await submit(batch)
                    }
                    if assembler.summary.stoppedEarly { break inputs }
                }
            }
            try await submit(assembler.rest())
            try await settle()
        } catch {
            // What the caller sees committed after an error is exactly the batches before it.
            _ = try? await inflight?.value
            throw error
        }
        written.rejected = assembler.summary.rejected
        written.stoppedEarly = assembler.summary.stoppedEarly
        return written
    }

    /// Every file is opened before any event is written, so a mistyped second
    /// name does not leave the first file half imported.
    static func open(_ inputs: [ImportInput]) throws -> [(ImportInput, LineReader)] {
        try inputs.map { input in
            switch input {
            case .file(let path): (input, try LineReader(path: path))
            case .standardInput: (input, LineReader(fileDescriptor: STDIN_FILENO, ownsDescriptor: false))
            }
        }
    }

    /// Fills `chunk` with the reader's next lines; false at the end of the input.
    static func read(_ reader: LineReader, into chunk: inout LineChunk) throws -> Bool {
        chunk.removeAll()
        while chunk.count < linesPerChunk, let line = try reader.nextLine() {
            chunk.append(line, number: reader.lineNumber)
        }
        return chunk.count > 0
    }

    static let linesPerChunk = 8192

    /// The lines of `range`, the scanner's buffers kept from one to the next.
    static func parse(_ chunk: LineChunk, _ range: Range<Int>) -> [EventLineParser.Parsed] {
        var cells = EventCells.Builder()
        return chunk.map(range) { EventLineParser.parse($0, cells: &cells) }
    }

    /// Parses a chunk's lines in two halves at once, results in line order.
    static func parseInParallel(_ chunk: LineChunk) async -> [EventLineParser.Parsed] {
        let half = chunk.count / 2
        async let first = parse(chunk, 0..<half)
        let second = parse(chunk, half..<chunk.count)
        return await first + second
    }
}

/// Parsed lines into batches of events, counting and reporting the rejected ones.
struct EventBatchAssembler {
    let maxErrors: Int
    let batchSize: Int
    /// The rejected lines so far, and whether there were too many.
    private(set) var summary = EventImportSummary()
    private var batch: [ImportedEvent] = []

    init(maxErrors: Int, batchSize: Int) {
        self.maxErrors = maxErrors
        self.batchSize = batchSize
        batch.reserveCapacity(batchSize)
    }

    /// Takes a chunk's parsed lines, leaving `.skip` in their places; returns
    /// the batches they filled. Past `maxErrors` rejections the rest is
    /// dropped and `summary.stoppedEarly` set.
    mutating func add(
        _ parsed: inout [EventLineParser.Parsed], of chunk: LineChunk, from input: ImportInput,
        onReject: (ImportRejection) -> Void
    ) -> [[ImportedEvent]] {
        var full: [[ImportedEvent]] = []
        // Each line is moved out of the caller's array (inout, so it is not
        // copied first), and an event's texts change hands without being
        // retained and released.
        parsed.withUnsafeMutableBufferPointer { lines in
            guard let first = lines.baseAddress else { return }
            for index in lines.indices {
                let line = (first + index).move()
                (first + index).initialize(to: .skip)
                switch consume line {
                case .skip: continue
                case .event(let event):
                    batch.append(event)
                    if batch.count >= batchSize { full.append(rest()) }
                case .rejected(let reason):
                    summary.rejected += 1
                    onReject(ImportRejection(file: input.displayName, line: chunk.lineNumbers[index], reason: reason))
                    if summary.rejected > maxErrors {
                        summary.stoppedEarly = true
                        return
                    }
                }
            }
        }
        return full
    }

    /// The events not yet handed out.
    mutating func rest() -> [ImportedEvent] {
        defer { batch.removeAll(keepingCapacity: true) }
        return batch
    }
}

/// The reader on a thread of its own, for a writer that stays in one call for
/// the whole import (one SQLite transaction): `next()` gives the batches in
/// order while the following ones are read and parsed on both cores.
final class EventBatchStream: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [[ImportedEvent]] = []
    private var finished = false
    private var failure: (any Error)?
    private var stopped = false
    private var summary = EventImportSummary()
    private var rejections: [ImportRejection] = []
    /// Used by the reading thread alone.
    private let readers: [(ImportInput, LineReader)]
    private let reader: EventInputReader

    /// Opens every input at once (an unreadable one fails here) and starts reading.
    init(_ inputs: [ImportInput], reader: EventInputReader) throws {
        readers = try EventInputReader.open(inputs)
        self.reader = reader
        Thread { [self] in produce() }.start()
    }

    /// The next batch, waiting for it; nil after the last.
    func next() throws -> [ImportedEvent]? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty, !finished, failure == nil { condition.wait() }
        if let failure { throw failure }
        if ready.isEmpty { return nil }
        condition.broadcast()
        return ready.removeFirst()
    }

    /// The rejected lines, once `next()` has returned nil.
    var outcome: (summary: EventImportSummary, rejections: [ImportRejection]) {
        condition.lock()
        defer { condition.unlock() }
        return (summary, rejections)
    }

    /// Ends the reading early: the writer is done or failed.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func produce() {
        var assembler = EventBatchAssembler(maxErrors: reader.maxErrors, batchSize: reader.batchSize)
        var rejected: [ImportRejection] = []
        do {
            inputs: for (input, lines) in readers {
                var chunk = LineChunk()
                while try EventInputReader.read(lines, into: &chunk) {
                    var parsed = Self.parseInParallel(chunk)
                    for batch in assembler.add(&parsed, of: chunk, from: input, onReject: { rejected.append($0) }) {
                        guard put(batch) else { return }
                    }
                    if assembler.summary.stoppedEarly { break inputs }
                }
            }
            let last = assembler.rest()
            if !last.isEmpty { guard put(last) else { return } }
            condition.lock()
            (summary, rejections, finished) = (assembler.summary, rejected, true)
            condition.broadcast()
            condition.unlock()
        } catch {
            condition.lock()
            failure = error
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Hands a batch over, keeping at most one waiting; false once stopped.
    private func put(_ batch: [ImportedEvent]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !ready.isEmpty, !stopped { condition.wait() }
        if stopped { return false }
        ready.append(batch)
        condition.broadcast()
        return true
    }

    /// Parses a chunk's lines in two halves on two threads, each writing its
    /// results straight into its part of one array, in line order.
    private static func parseInParallel(_ chunk: LineChunk) -> [EventLineParser.Parsed] {
        let half = chunk.count / 2
        return Array(unsafeUninitializedCapacity: chunk.count) { buffer, initialized in
            let output = Output(start: buffer.baseAddress)
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                guard let start = output.start else { return }
                var slot = part == 0 ? 0 : half
                var cells = EventCells.Builder()
                _ = chunk.map(part == 0 ? 0..<half : half..<chunk.count) { line in
                    (start + slot).initialize(to: EventLineParser.parse(line, cells: &cells))
                    slot += 1
                }
            }
            initialized = chunk.count
        }
    }

    /// The array being filled: each thread writes only its own half's slots.
    private struct Output: @unchecked Sendable {
        let start: UnsafeMutablePointer<EventLineParser.Parsed>?
    }
}

import Foundation
import Segmentation

/// One profile read from an input line, for a store other than the SQLite
/// workspace (PostgreSQL) to write.
public struct ImportedProfile: Sendable {
    public var namespace: String
    public var identity: String
    /// The whole record as JSON text.
    public var document: String
    /// Its identities, normalized: the primary identity first, then every id of its identityMap.
    public var identities: [IdentityKey] = []
    /// The record's own timestamp (`extSourceSystemAudit.lastUpdatedDate`), nil when it has none.
    public var timestamp: Double?
}

/// Reads profile inputs with the same parser, formats, header checks and
/// reject rules as `ProfileImporter`, and hands batches of profiles to the
/// caller's writer; the next batch is parsed while the previous one is written.
public struct ProfileInputReader: Sendable {
    public let options: ImportOptions

    public init(options: ImportOptions) {
        self.options = options
    }

    /// Reads `inputs` in order. `write` stores one batch and returns what it
    /// did (inserted, updated, merged, identities dropped); it is never called twice at once.
    public func run(
        _ inputs: [ImportInput], onReject: (ImportRejection) -> Void,
        write: @escaping @Sendable ([ImportedProfile]) async throws -> ImportSummary
    ) async throws -> ImportSummary {
        try await run(inputs, onReject: onReject, overlapping: 1) { batch, _ in try await write(batch) }
    }

    /// Thrown by `previous` when the batch before failed: the failure reported is that batch's.
    public struct EarlierBatchFailed: Error {}

    /// Like `run(_:onReject:write:)`, with up to `overlapping` writes at once, so
    /// a writer can prepare a batch while the one before it is stored. Each write
    /// gets `previous`, which returns once the write before it has finished
    /// (throwing `EarlierBatchFailed` if that one failed): awaited before storing,
    /// it keeps batches stored in input order, a later record over an earlier one.
    public func run(
        _ inputs: [ImportInput], onReject: (ImportRejection) -> Void, overlapping: Int,
        write:
            @escaping @Sendable (_ batch: [ImportedProfile], _ previous: @escaping @Sendable () async throws -> Void)
            async throws -> ImportSummary
    ) async throws -> ImportSummary {
        if (options.namespace == nil) != (options.identityField == nil) {
            throw WorkspaceError(.missingIdentityOptions, "--namespace and --identity-field go together.")
        }
        var summary = ImportSummary()
        var inflight: [Task<ImportSummary, Error>] = []
        var batch: [ImportedProfile] = []
        batch.reserveCapacity(options.batchSize)
        func settleOldest() async throws {
            let written = try await inflight.removeFirst().value
            summary.inserted += written.inserted
            summary.updated += written.updated
            summary.merged += written.merged
            summary.identitiesDropped += written.identitiesDropped
        }
        func settle() async throws {
            while !inflight.isEmpty { try await settleOldest() }
        }
        func submit() async throws {
            while inflight.count >= max(1, overlapping) { try await settleOldest() }
            guard !batch.isEmpty else { return }
            let rows = batch
            batch.removeAll(keepingCapacity: true)
            let before = inflight.last
            inflight.append(
                Task {
                    try await write(rows) {
                        guard let before else { return }
                        do { _ = try await before.value } catch { throw EarlierBatchFailed() }
                    }
                })
        }
        let formats = try inputs.map { input throws(WorkspaceError) in try options.format(of: input) }
        for (input, format) in zip(inputs, formats) where format == .csv {
            if case .file(let path) = input { try options.checkHeader(path: path) }
        }
        do {
            inputs: for (input, format) in zip(inputs, formats) {
                let reader: LineReader
                switch input {
                case .file(let path): reader = try LineReader(path: path)
                case .standardInput: reader = LineReader(fileDescriptor: STDIN_FILENO, ownsDescriptor: false)
                }
                var parser = ProfileLineParser(
                    format: format, namespace: options.namespace, identityField: options.identityField)
                parser.derivesStoreFacts = false
                func handle(_ parsed: ParsedLine, line: Int) async throws -> Bool {
                    switch parsed {
                    case .skip:
                        return true
                    case .profile(let profile):
                        batch.append(
                            ImportedProfile(
                                namespace: profile.namespace, identity: profile.identity, document: profile.doc,
                                identities: profile.identities, timestamp: profile.timestamp))
                        if batch.count >= options.batchSize { try await submit() }
                        return true
                    case .badHeader(let reason):
                        throw ImportOptions.badHeader(input, line: line, reason)
                    case .rejected(let reason):
                        summary.rejected += 1
                        onReject(ImportRejection(file: input.displayName, line: line, reason: reason))
                        if summary.rejected > options.maxErrors {
                            summary.stoppedEarly = true
                            return false
                        }
                        return true
                    }
                }
                var primed = false
                var chunk = LineChunk()
                while true {
                    chunk.removeAll()
                    while chunk.count < ProfileImporter.linesPerChunk, let line = try reader.nextLine() {
                        if primed {
                            chunk.append(line, number: reader.lineNumber)
                            continue
                        }
                        let parsed = parser.parse(line)
                        if case .skip = parsed {} else { primed = true }
                        guard try await handle(parsed, line: reader.lineNumber) else { break inputs }
                    }
                    if chunk.count == 0 { break }
                    let halves = await ProfileImporter.parseInParallel(chunk, with: parser)
                    for (half, parsed) in [halves.first, halves.second] {
                        for (index, line) in parsed.enumerated() {
                            guard try await handle(line, line: chunk.lineNumbers[half.lowerBound + index]) else {
                                break inputs
                            }
                        }
                    }
                }
            }
            try await submit()
            try await settle()
        } catch {
            for task in inflight { _ = try? await task.value }
            throw error
        }
        return summary
    }
}

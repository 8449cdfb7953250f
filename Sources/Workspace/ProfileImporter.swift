import Foundation
import GRDB

/// Imports profile files into a workspace.
///
/// Lines are parsed while the previous batch is being written, so parsing and
/// SQLite work overlap on two cores. Each batch is its own transaction: a killed
/// import keeps every batch committed before it.
public struct ProfileImporter: Sendable {
    let dbPool: DatabasePool
    public let options: ImportOptions

    public init(workspace: Workspace, options: ImportOptions) {
        self.init(dbPool: workspace.dbPool, options: options)
    }

    init(dbPool: DatabasePool, options: ImportOptions) {
        self.dbPool = dbPool
        self.options = options
    }

    /// Imports `inputs` in order. Rejected lines go to `onReject` as they are found;
    /// the import stops once more than `options.maxErrors` lines were rejected.
    public func run(_ inputs: [ImportInput], onReject: (ImportRejection) -> Void) async throws -> ImportSummary {
        if (options.namespace == nil) != (options.identityField == nil) {
            throw WorkspaceError(.missingIdentityOptions, "--namespace and --identity-field go together.")
        }
        var summary = ImportSummary()
        var inflight: Task<ProfileBatchWriter.Written, Error>?
        // The batch being written, held here too so it is freed on this side
        // once written, not on the writer's thread: freeing a batch's buffers
        // was 3% of the writer's time.
        var beingWritten: [ParsedProfile] = []
        // Settled with the first batch: whether this import leaves the
        // secondary indexes out while it writes (ProfileImportIndexes).
        var indexesLeftOut: Task<Bool, Error>?
        let inputBytes = ProfileImportIndexes.inputBytes(inputs)
        var batch: [ParsedProfile] = []
        batch.reserveCapacity(options.batchSize)
        // The typed columns as of the last batch written: lines are parsed
        // straight into cells of these columns.
        var columns = try await dbPool.read { db in try ProfileColumns.load(db).trie }

        func settle() async throws {
            if let task = inflight {
                inflight = nil
                defer { beingWritten.removeAll() }
                let written = try await task.value
                summary.inserted += written.inserted
                summary.updated += written.updated
                summary.merged += written.merged
                summary.identitiesDropped += written.identitiesDropped
                if let known = written.columns { columns = known }
            }
        }
        func submit() async throws {
            try await settle()
            guard !batch.isEmpty else { return }
            let rows = batch
            beingWritten = rows
            batch.removeAll(keepingCapacity: true)
            let pool = dbPool
            let limit = options.identityLimit
            if indexesLeftOut == nil {
                let batchSize = options.batchSize
                let decided = Task {
                    try await pool.write { db in
                        try ProfileImportIndexes.leaveOut(
                            first: rows, batchSize: batchSize, inputBytes: inputBytes, in: db)
                    }
                }
                indexesLeftOut = decided
                inflight = Task {
                    _ = try await decided.value
                    return try await pool.write { db in
                        try ProfileBatchWriter.write(rows, at: Date(), identityLimit: limit, in: db)
                    }
                }
                return
            }
            inflight = Task {
                try await pool.write { db in
                    try ProfileBatchWriter.write(rows, at: Date(), identityLimit: limit, in: db)
                }
            }
        }
        // After the last batch, or after a failed one: the indexes a large
        // import left out are built again before it returns.
        func buildIndexes() async throws {
            guard let decided = indexesLeftOut, (try? await decided.value) == true else { return }
            try await dbPool.writeWithoutTransaction { db in try ProfileImportIndexes.buildAfterImport(db) }
        }

        // Every input's format is settled before any row is written, so a bad
        // second argument does not leave the first file half imported.
        let formats = try inputs.map { input throws(WorkspaceError) in try options.format(of: input) }
        for (input, format) in zip(inputs, formats) where format == .csv {
            if case .file(let path) = input { try options.checkHeader(path: path) }
        }
        // Checkpointing the WAL back into the database after every 1,000 pages
        // written (SQLite's default) cost the import a third of its time; 8,192
        // pages (128 MiB at 16 KiB pages) halve that, and the WAL still stays
        // bounded. At 16 KiB pages, 2,048 pages (the same bytes as before) wrote
        // 4% more. The copying is done beside the writer, on the other core: at 1M
        // profiles that took 0.65 of the writer's 8.9 CPU s, at the same total CPU.
        let checkpointer = try ProfileImportCheckpointer(path: dbPool.path)
        try await dbPool.writeWithoutTransaction { db in checkpointer.start(on: db) }
        // Every way out of the import goes through here: the writer must not call
        // into the checkpointer after the import.
        func finishCheckpoints() async {
            do {
                try await dbPool.writeWithoutTransaction { db in checkpointer.detach(from: db) }
            } catch {
                // A cancelled task is refused the async access; this one waits.
                func detachNow() { dbPool.writeWithoutTransaction { db in checkpointer.detach(from: db) } }
                detachNow()
            }
            await checkpointer.passesFinished()
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
                parser.columns = columns
                // Returns false once too many lines were rejected.
                func handle(_ parsed: ParsedLine, line: Int) async throws -> Bool {
                    switch parsed {
                    case .skip:
                        return true
                    case .profile(let profile):
                        batch.append(profile)
                        if batch.count >= options.batchSize {
                            try await submit()
                        }
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
                // Up to the first line that is not blank (a CSV file's header, a
                // byte order mark) the parser learns the input, so those lines go
                // one by one; after that, lines are parsed in chunks on both cores.
                var primed = false
                var chunk = LineChunk()
                while true {
                    chunk.removeAll()
                    while chunk.count < Self.linesPerChunk, let line = try reader.nextLine() {
                        if primed {
                            chunk.append(line, number: reader.lineNumber)
                            continue
                        }
                        let parsed = parser.parse(line)
                        if case .skip = parsed {} else { primed = true }
                        guard try await handle(parsed, line: reader.lineNumber) else { break inputs }
                    }
                    if chunk.count == 0 { break }
                    parser.columns = columns
                    let halves = await Self.parseInParallel(chunk, with: parser)
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
            try await buildIndexes()
        } catch {
            // Let the batch already handed to SQLite finish, so what the caller sees
            // committed after the error is exactly the batches before it.
            _ = try? await inflight?.value
            try? await buildIndexes()
            await finishCheckpoints()
            throw error
        }
        await finishCheckpoints()
        return summary
    }

    static let linesPerChunk = 8192

    /// Parses a chunk's lines in two halves at once: each half's lines with
    /// the range of the chunk they come from. The halves are not joined, since
    /// copying every parsed record once more cost a retain and a release of each of its buffers.
    static func parseInParallel(_ chunk: LineChunk, with parser: ProfileLineParser) async -> (
        first: (Range<Int>, [ParsedLine]), second: (Range<Int>, [ParsedLine])
    ) {
        let half = chunk.count / 2
        async let first = chunk.parse(0..<half, with: parser)
        let second = chunk.parse(half..<chunk.count, with: parser)
        return ((0..<half, await first), (half..<chunk.count, second))
    }
}

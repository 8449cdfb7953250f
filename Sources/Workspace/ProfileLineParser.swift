import Segmentation

/// Turns the lines of one input into profiles, in that input's format.
struct ProfileLineParser {
    let format: ImportFormat
    let namespace: String?
    let identityPath: [String]?
    /// The typed columns as the writer last knew them: each profile's values
    /// are resolved to their columns here, on the parsing threads. Without it
    /// every leaf is left for the writer to resolve.
    var columns: ColumnTrie?
    /// Whether the common record skips the tree (`ProfileLineSkimmer`,
    /// `ProfileLineScanner`); their tests read every line both ways.
    var scansCommonRecords = true
    /// Whether the SQLite workspace's per-record facts are derived: typed cells,
    /// exact numbers, nulls, whitespace to compact. A store that reads only the
    /// document, its identities and its timestamp (PostgreSQL) spares them: the
    /// cells alone were a third of its parsing.
    var derivesStoreFacts = true
    private var csv = CSVRecordDecoder()
    private var isFirstLine = true

    init(format: ImportFormat, namespace: String?, identityField: String?) {
        self.format = format
        self.namespace = namespace
        self.identityPath = identityField.map {
            $0.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        }
    }

    mutating func parse(_ line: UnsafeRawBufferPointer) -> ParsedLine {
        var line = line
        if isFirstLine {
            isFirstLine = false
            // Spreadsheet exports and Windows editors start files with a UTF-8 byte order mark.
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line = UnsafeRawBufferPointer(rebasing: line.dropFirst(3)) }
        }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            return .skip
        }
        let document: JSONValue
        switch format {
        case .jsonl:
            // The common record skips the tree: a store that reads only the
            // document, its identities and its timestamp needs no columns for that.
            if scansCommonRecords, namespace == nil, !derivesStoreFacts,
                let profile = ProfileLineSkimmer.profile(of: line)
            {
                return .profile(profile)
            }
            // Once its paths have columns, so does the SQLite workspace's.
            if scansCommonRecords, namespace == nil, let columns,
                let profile = ProfileLineScanner.profile(of: line, trie: columns)
            {
                return .profile(profile)
            }
            do {
                document = try JSONValue.parse(line, rejectingDuplicateKeys: true)
            } catch {
                return .rejected("broken JSON: \(error)")
            }
            guard case .object = document else {
                return .rejected("not a JSON object")
            }
        case .csv:
            switch csv.decode(line) {
            case .failure(.row(let reason)): return .rejected(reason.message)
            case .failure(.header(let reason)): return .badHeader(reason.message)
            case .success(nil): return .skip
            case .success(let record?): document = record
            }
        }
        return identify(document, line: line)
    }

    private func identify(_ document: JSONValue, line: UnsafeRawBufferPointer) -> ParsedLine {
        if let namespace, let identityPath {
            guard let id = PrimaryIdentity.fromField(document, path: identityPath) else {
                return .rejected("no identity: no text or integer at \(identityPath.joined(separator: "."))")
            }
            let withMap = PrimaryIdentity.addingIdentityMap(to: document, namespace: namespace, id: id)
            var text: [UInt8] = []
            withMap.write(to: &text)
            return record(withMap, namespace: namespace, id: id, text: text, spaced: false)
        }
        guard let (namespace, id) = PrimaryIdentity.fromIdentityMap(document) else {
            return .rejected("no identity: identityMap holds no id")
        }
        // The line itself is stored rather than a re-serialization: it is already
        // valid JSON, and serializing cost as much as parsing.
        let raw = format == .jsonl
        var text: [UInt8] = []
        if raw { text = Array(line) } else { document.write(to: &text) }
        return record(
            document, namespace: namespace, id: id, text: text, spaced: raw && Self.hasWhitespaceBetweenTokens(line))
    }

    /// The record of `document`, stored as `text`; `spaced`, whether that text
    /// has whitespace to compact, is asked only when the store's facts are derived.
    private func record(
        _ document: JSONValue, namespace: String, id: String, text: [UInt8], spaced: @autoclosure () -> Bool
    ) -> ParsedLine {
        .profile(
            ParsedProfile(
                namespace: namespace, identity: id, document: text,
                needsCompaction: derivesStoreFacts && spaced(),
                containsNull: derivesStoreFacts && Self.containsNull(document),
                cells: derivesStoreFacts ? ProfileCells(of: document, trie: columns) : ProfileCells(),
                hasExactNumber: derivesStoreFacts && ProfileColumns.hasExactNumber(document),
                identities: IdentityKey.all(of: document, primary: IdentityKey(namespace: namespace, id: id)),
                timestamp: IdentityMergePolicy.timestamp(of: document)))
    }

    /// True when a space, tab or line break sits outside a string.
    static func hasWhitespaceBetweenTokens(_ json: UnsafeRawBufferPointer) -> Bool {
        // Most lines hold no byte at or below a space at all: one quick pass settles them.
        guard json.contains(where: { $0 <= 0x20 }) else { return false }
        var inString = false
        var escaped = false
        for byte in json {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                return true
            }
        }
        return false
    }

    static func containsNull(_ value: JSONValue) -> Bool {
        switch value {
        case .null: true
        case .bool, .int, .double, .number, .string: false
        case .array(let items): items.contains(where: containsNull)
        case .object(let members): members.values.contains(where: containsNull)
        }
    }
}

import Segmentation

/// Turns the lines of one input into profiles, in that input's format.
struct ProfileLineParser {
    let format: ImportFormat
    let namespace: String?
    let identityPath: [String]?
    private var csv = CSVRecordDecoder()

    init(format: ImportFormat, namespace: String?, identityField: String?) {
        self.format = format
        self.namespace = namespace
        self.identityPath = identityField.map { $0.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
    }

    mutating func parse(_ line: UnsafeRawBufferPointer) -> ParsedLine {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            return .skip
        }
        let document: JSONValue
        switch format {
        case .jsonl:
            do {
                document = try JSONValue.parse(line)
            } catch {
                return .rejected("broken JSON: \(error)")
            }
            guard case .object = document else {
                return .rejected("not a JSON object")
            }
        case .csv:
            switch csv.decode(line) {
            case .failure(let reason): return .rejected(reason.message)
            case .success(nil): return .skip
            case .success(let record?): document = record
            }
        }
        return identify(document)
    }

    private func identify(_ document: JSONValue) -> ParsedLine {
        if let namespace, let identityPath {
            guard let id = PrimaryIdentity.fromField(document, path: identityPath) else {
                return .rejected("no identity: no text or integer at \(identityPath.joined(separator: "."))")
            }
            let withMap = PrimaryIdentity.addingIdentityMap(to: document, namespace: namespace, id: id)
            return .profile(ParsedProfile(namespace: namespace, identity: id, doc: withMap.serialized()))
        }
        guard let (namespace, id) = PrimaryIdentity.fromIdentityMap(document) else {
            return .rejected("no identity: identityMap holds no id")
        }
        return .profile(ParsedProfile(namespace: namespace, identity: id, doc: document.serialized()))
    }
}

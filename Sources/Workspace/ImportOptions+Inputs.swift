/// What both importers (SQLite's and PostgreSQL's COPY) decide about an input
/// before reading its rows.
extension ImportOptions {
    /// Reads a CSV file's header alone, so a file whose columns cannot be used stops the import
    /// before any file's rows are written.
    func checkHeader(path: String) throws(WorkspaceError) {
        let reader = try LineReader(path: path)
        var parser = ProfileLineParser(format: .csv, namespace: namespace, identityField: identityField)
        while let line = try reader.nextLine() {
            switch parser.parse(line) {
            case .skip: continue
            case .badHeader(let reason): throw Self.badHeader(.file(path), line: reader.lineNumber, reason)
            case .profile, .rejected: return
            }
        }
    }

    static func badHeader(_ input: ImportInput, line: Int, _ reason: String) -> WorkspaceError {
        WorkspaceError(.badHeader, "\(input.displayName):\(line): \(reason); no row of this file was imported.")
    }

    func format(of input: ImportInput) throws(WorkspaceError) -> ImportFormat {
        let resolved: ImportFormat
        switch (format, input) {
        case (let forced?, _):
            resolved = forced
        case (nil, .standardInput):
            resolved = .jsonl
        case (nil, .file(let path)):
            guard let inferred = ImportFormat(fileName: path) else {
                throw WorkspaceError(
                    .unknownFormat,
                    "Cannot tell the format of \(path) from its extension; pass --format jsonl or --format csv.")
            }
            resolved = inferred
        }
        if resolved == .csv, namespace == nil {
            throw WorkspaceError(
                .missingIdentityOptions,
                "CSV input needs --namespace NS and --identity-field PATH to know each row's identity.")
        }
        return resolved
    }
}

import Foundation
import PostgresNIO
import Workspace

extension PostgresWorkspace: Catalog {
    // MARK: Destinations

    public func insertDestination(_ destination: DestinationRecord) async throws {
        var d = destination
        d.name = try NameRules.checked(d.name, kind: "destination")
        let record = d
        try await transaction { connection in
            let inserted = try await connection.query(
                """
                INSERT INTO destination (\(unescaped: PostgresRows.destinationColumns))
                VALUES (\(record.id), \(record.name), \(record.bucket), \(record.folderPath), \(record.region),
                        \(record.endpoint), \(record.fileType), \(record.compression), \(record.manifest),
                        \(record.format), \(record.accessKeyId), \(record.sealedSecret), \(record.sealedSessionToken),
                        \(record.createdAt.timeIntervalSince1970), \(record.pgpPublicKey), \(record.pgpFingerprint),
                        \(record.roleArn), \(record.externalId), \(record.roleSessionName), \(record.sse),
                        \(record.kmsKeyId))
                ON CONFLICT (name) DO NOTHING RETURNING 1
                """, logger: self.logger
            ).collect()
            if inserted.isEmpty {
                throw WorkspaceError(.destinationExists, "A destination named '\(record.name)' already exists.")
            }
        }
    }

    public func destinations() async throws -> [DestinationRecord] {
        try await withConnection { connection in
            try await connection.query(
                "SELECT \(unescaped: PostgresRows.destinationColumns) FROM destination ORDER BY name",
                logger: self.logger
            ).collect().map(PostgresRows.destination)
        }
    }

    public func destination(named nameOrId: String) async throws -> DestinationRecord {
        try await withConnection { connection in try await self.destination(nameOrId, on: connection) }
    }

    func destination(_ nameOrId: String, on connection: PostgresConnection, lock: Bool = false) async throws
        -> DestinationRecord
    {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: PostgresRows.destinationColumns) FROM destination
            WHERE id = \(nameOrId.lowercased()) OR name = \(nameOrId)
            ORDER BY (id = \(nameOrId.lowercased())) DESC LIMIT 1 \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger
        ).collect()
        guard let row = rows.first else {
            throw WorkspaceError(
                .destinationNotFound,
                "No destination is named or has the id '\(nameOrId)'; `ferry destinations list` shows them.")
        }
        return try PostgresRows.destination(row)
    }

    @discardableResult
    public func deleteDestination(_ nameOrId: String) async throws -> DestinationRecord {
        try await transaction { connection in
            let destination = try await self.destination(nameOrId, on: connection, lock: true)
            let users = try await connection.query(
                "SELECT name FROM activation WHERE destination_id = \(destination.id) ORDER BY name",
                logger: self.logger
            ).collect().map { try $0.decode(String.self) }
            guard users.isEmpty else {
                throw WorkspaceError(
                    .destinationInUse,
                    "Destination '\(destination.name)' is used by activation(s) \(users.map { "'\($0)'" }.joined(separator: ", ")); delete them first."
                )
            }
            _ = try await connection.query("DELETE FROM destination WHERE id = \(destination.id)", logger: self.logger)
                .collect()
            return destination
        }
    }

    // MARK: Activations

    public func insertActivation(_ activation: ActivationRecord) async throws {
        var a = activation
        a.name = try NameRules.checked(a.name, kind: "activation")
        let record = a
        try await transaction { connection in
            // Two workers creating clashing activations at once would each
            // see no conflict; the destination row lock orders them.
            _ = try await self.destination(record.destinationId, on: connection, lock: true)
            let taken = try await connection.query(
                "SELECT 1 FROM activation WHERE name = \(record.name)", logger: self.logger
            ).collect()
            if !taken.isEmpty {
                throw WorkspaceError(.activationExists, "An activation named '\(record.name)' already exists.")
            }
            if let other = try await self.conflictingActivation(for: record, on: connection) {
                throw try await self.conflictError(record, other, on: connection)
            }
            _ = try await connection.query(
                """
                INSERT INTO activation (\(unescaped: PostgresRows.activationColumns))
                VALUES (\(record.id), \(record.name), \(record.destinationId), \(PostgresRows.json(record.segmentIds)),
                        \(PostgresRows.json(record.mappings)), \(PostgresRows.json(record.mandatory)),
                        \(PostgresRows.json(record.dedupKeys)), \(record.mode.rawValue), \(record.frequency.rawValue),
                        \(record.start.timeIntervalSince1970), \(record.endDay), \(record.timeZone),
                        \(record.fileNameTemplate), \(record.maxRowsPerFile), \(record.enabled),
                        \(record.createdAt.timeIntervalSince1970), \(record.day), \(record.trigger.rawValue))
                """, logger: self.logger
            ).collect()
        }
    }

    public func activations() async throws -> [ActivationRecord] {
        try await withConnection { connection in
            try await connection.query(
                "SELECT \(unescaped: PostgresRows.activationColumns) FROM activation ORDER BY name",
                logger: self.logger
            ).collect().map(PostgresRows.activation)
        }
    }

    public func activation(named nameOrId: String) async throws -> ActivationRecord {
        try await withConnection { connection in try await self.activation(nameOrId, on: connection) }
    }

    func activation(_ nameOrId: String, on connection: PostgresConnection) async throws -> ActivationRecord {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: PostgresRows.activationColumns) FROM activation
            WHERE id = \(nameOrId.lowercased()) OR name = \(nameOrId)
            ORDER BY (id = \(nameOrId.lowercased())) DESC LIMIT 1
            """, logger: logger
        ).collect()
        guard let row = rows.first else {
            throw WorkspaceError(
                .activationNotFound,
                "No activation is named or has the id '\(nameOrId)'; `ferry activations list` shows them.")
        }
        return try PostgresRows.activation(row)
    }

    public func updateActivation(_ activation: ActivationRecord) async throws {
        let record = activation
        _ = try await transaction { connection in
            try await connection.query(
                """
                UPDATE activation SET name = \(record.name), destination_id = \(record.destinationId),
                    segment_ids = \(PostgresRows.json(record.segmentIds)), mappings = \(PostgresRows.json(record.mappings)),
                    mandatory = \(PostgresRows.json(record.mandatory)), dedup_keys = \(PostgresRows.json(record.dedupKeys)),
                    mode = \(record.mode.rawValue), frequency = \(record.frequency.rawValue),
                    start = \(record.start.timeIntervalSince1970), end_day = \(record.endDay),
                    time_zone = \(record.timeZone), file_name_template = \(record.fileNameTemplate),
                    max_rows_per_file = \(record.maxRowsPerFile), enabled = \(record.enabled),
                    created_at = \(record.createdAt.timeIntervalSince1970), day = \(record.day),
                    "trigger" = \(record.trigger.rawValue)
                WHERE id = \(record.id)
                """, logger: self.logger
            ).collect()
        }
    }

    @discardableResult
    public func deleteActivation(_ nameOrId: String) async throws -> ActivationRecord {
        try await transaction { connection in
            let activation = try await self.activation(nameOrId, on: connection)
            _ = try await connection.query("DELETE FROM activation WHERE id = \(activation.id)", logger: self.logger)
                .collect()
            return activation
        }
    }

    public func conflictingActivation(for activation: ActivationRecord) async throws -> ActivationRecord? {
        try await withConnection { connection in try await self.conflictingActivation(for: activation, on: connection) }
    }

    /// The same rule as the SQLite workspace: one destination, one segment in
    /// common, and templates that expand to the same names.
    func conflictingActivation(for activation: ActivationRecord, on connection: PostgresConnection) async throws
        -> ActivationRecord?
    {
        let template = Self.normalizedTemplate(activation.fileNameTemplate)
        return try await connection.query(
            """
            SELECT \(unescaped: PostgresRows.activationColumns) FROM activation
            WHERE destination_id = \(activation.destinationId) ORDER BY name
            """, logger: logger
        ).collect().map(PostgresRows.activation).first { other in
            other.id != activation.id && Self.normalizedTemplate(other.fileNameTemplate) == template
                && other.segmentIds.contains(where: activation.segmentIds.contains)
        }
    }

    static func normalizedTemplate(_ template: String) -> String {
        template.replacingOccurrences(of: "%DATETIME%", with: "%DATETIME(YYYYMMdd_HHmmss)%")
    }

    public func conflictError(_ activation: ActivationRecord, _ other: ActivationRecord) async throws -> WorkspaceError
    {
        try await withConnection { connection in try await self.conflictError(activation, other, on: connection) }
    }

    func conflictError(_ activation: ActivationRecord, _ other: ActivationRecord, on connection: PostgresConnection)
        async throws -> WorkspaceError
    {
        let shared = activation.segmentIds.first(where: other.segmentIds.contains) ?? ""
        let name = try await connection.query("SELECT name FROM segment WHERE id = \(shared)", logger: logger)
            .collect().first?.decode(String.self)
        return WorkspaceError(
            .activationConflict,
            "Activation '\(activation.name)' would overwrite the files of activation '\(other.name)': both send segment '\(name ?? shared)' to the same destination with the file name \"\(other.fileNameTemplate)\"; give one a different --file-name, e.g. with its name in it."
        )
    }
}

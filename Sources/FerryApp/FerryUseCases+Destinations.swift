import Export
import Foundation
import S3
import Workspace

extension FerryUseCases {
    /// A destination that was saved, with the permission check it passed (nil when skipped).
    public struct CreatedDestination: Sendable {
        public var destination: DestinationRecord
        public var permissions: PermissionReport?
        /// The PGP key files are encrypted to, for the user to compare with their own:
        /// `FINGERPRINT (ALGORITHM subkey FINGERPRINT)`.
        public var pgpKey: String?
    }

    /// Checks the settings, runs the connection test unless told not to, and
    /// saves the destination with its secrets sealed. A missing permission
    /// saves nothing and names the missing actions.
    public func createDestination(_ input: DestinationInput) async throws -> CreatedDestination {
        let record = try destinationRecord(input)
        let pgpKey = try phrasedNow { try DestinationSecurity(record).pgpKey }.map {
            "\($0.fingerprint) (\($0.encryptionKey.algorithmName) subkey \($0.encryptionKey.fingerprint))"
        }
        var report: PermissionReport?
        if !input.skipValidation {
            let checked = try await checkPermissions(record)
            report = checked
            guard checked.allGranted else {
                throw AppError(
                    .missingPermission, code: "missingPermission",
                    "destination not saved: \(checked.refusal)",
                    permissions: checked)
            }
        }
        try await phrased { try await store.insertDestination(record) }
        return CreatedDestination(destination: record, permissions: report, pgpKey: pgpKey)
    }

    /// The record `input` describes, every setting checked and the secrets sealed.
    public func destinationRecord(_ input: DestinationInput, now: Date = Date()) throws -> DestinationRecord {
        var input = input
        input.endpoint = input.endpoint ?? defaultEndpoint
        func parse<T: RawRepresentable & CaseIterable>(_ text: String, _ field: String) throws -> T
        where T.RawValue == String {
            guard let value = T(rawValue: text) else {
                throw AppError.badInput(
                    "\(AppError.option(field)) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))",
                    field: field)
            }
            return value
        }
        let fileType: DestinationSettings.FileType = try parse(input.fileType, "fileType")
        let compression: DestinationSettings.Compression = try parse(input.compression, "compression")
        var format = fileType == .tsv ? CSVFormat.tsv : CSVFormat.csv
        if let delimiter = input.delimiter { format.delimiter = try parse(delimiter, "delimiter") }
        format.quoting = try parse(input.quote, "quote")
        format.escape = try parse(input.escape, "escape")
        format.nullValue = try parse(input.nullValue, "nullValue")
        format.emptyValue = try parse(input.emptyValue, "emptyValue")
        if let conflict = DestinationSettings(
            fileType: fileType, compression: compression, format: format, nested: input.nested
        ).conflict {
            throw AppError.badInput(conflict, field: "compression")
        }
        let name: String
        do { name = try NameRules.checked(input.name, kind: "destination") } catch {
            throw AppError(.badInput, code: error.code.rawValue, error.message, field: "name")
        }
        do { try BucketName.validate(input.bucket) } catch {
            throw AppError.badInput("\(error)", field: "bucket")
        }
        do { _ = try PathTemplate(folder: input.folderPath) } catch {
            throw AppError.badInput("\(error)", field: "folderPath")
        }
        // Checked even without validation: a bad endpoint saved here would fail every run.
        if let endpoint = input.endpoint {
            do { _ = try S3ClientConfiguration.endpointURL(endpoint) } catch {
                throw AppError.badInput("\(error)", field: "endpoint")
            }
        }
        if let region = input.region,
            region.isEmpty || region.count > 64
                || !region.unicodeScalars.allSatisfy({
                    ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
                })
        {
            throw AppError.badInput(
                "region '\(region)' is not a region name such as eu-west-1", field: "region")
        }
        let security = try security(input)
        if security.role != nil {
            // A role needs no stored keys: Ferry's own credentials (environment or
            // profile) are read at each refresh, so stored ones would never be used.
            guard input.accessKeyId.isEmpty && input.secretAccessKey.isEmpty && (input.sessionToken ?? "").isEmpty
            else {
                throw AppError.badInput(
                    "--role-arn uses Ferry's own credentials to assume the role; drop --access-key-id and --secret-access-key-stdin",
                    field: "roleArn")
            }
        } else {
            try checkStoredKeys(input)
        }
        return try DestinationRecord(
            id: UUID().uuidString.lowercased(), name: name, bucket: input.bucket, folderPath: input.folderPath,
            region: input.region, endpoint: input.endpoint, fileType: fileType.rawValue,
            compression: compression.rawValue, manifest: input.manifest,
            format: DestinationSettings.encodeFormat(format, nested: input.nested), accessKeyId: input.accessKeyId,
            sealedSecret: sealSecret(input.secretAccessKey),
            sealedSessionToken: input.sessionToken.flatMap { $0.isEmpty ? nil : $0 }.map(sealSecret),
            createdAt: now, pgpPublicKey: security.pgpKey.map { Data($0.binary) },
            pgpFingerprint: security.pgpKey?.fingerprint, roleArn: security.role?.roleArn,
            externalId: security.role?.externalId, roleSessionName: security.role?.sessionName,
            sse: security.sse?.mode.rawValue, kmsKeyId: security.sse?.kmsKeyId)
    }

    /// The PGP key, role and SSE settings, each checked before anything is saved.
    func security(_ input: DestinationInput) throws -> DestinationSecurity {
        var security = DestinationSecurity()
        if let key = input.pgpPublicKey {
            do { try security.setPGPKey(key) } catch {
                throw AppError.badInput("--pgp-public-key: \(error)", field: "pgpPublicKey")
            }
        }
        if input.roleArn == nil, input.externalId != nil || input.sessionName != nil {
            throw AppError.badInput(
                "--external-id and --session-name go with --role-arn",
                field: input.externalId != nil ? "externalId" : "sessionName")
        }
        if let roleArn = input.roleArn {
            do {
                security.role = try AssumeRoleRequest(
                    roleArn: roleArn, externalId: input.externalId, sessionName: input.sessionName)
            } catch { throw AppError.badInput("\(error)", field: "roleArn") }
        }
        if input.sse == nil, input.kmsKeyId != nil {
            throw AppError.badInput("--kms-key-id goes with --sse aws:kms", field: "kmsKeyId")
        }
        if let sse = input.sse {
            guard let mode = ServerSideEncryption.Mode(rawValue: sse) else {
                throw AppError.badInput(
                    "--sse must be one of \(ServerSideEncryption.Mode.allCases.map(\.rawValue).joined(separator: ", "))",
                    field: "sse")
            }
            do { security.sse = try ServerSideEncryption(mode: mode, kmsKeyId: input.kmsKeyId) } catch {
                throw AppError.badInput("\(error)", field: "kmsKeyId")
            }
        }
        return security
    }

    /// A key pair that can be sent in request headers.
    func checkStoredKeys(_ input: DestinationInput) throws {
        guard !input.accessKeyId.isEmpty else {
            throw AppError.badInput(
                "no access key id: pass --access-key-id or set AWS_ACCESS_KEY_ID", field: "accessKeyId")
        }
        // These go into request headers (the key id in Authorization, the session token
        // as x-amz-security-token), where a control or non-ASCII character could never be sent.
        if !Self.isHeaderSafe(input.accessKeyId) {
            throw AppError.badInput("the access key id holds characters no AWS key has", field: "accessKeyId")
        }
        if let token = input.sessionToken, !token.isEmpty, !Self.isHeaderSafe(token) {
            throw AppError.badInput("the session token holds characters no AWS token has", field: "sessionToken")
        }
        guard !input.secretAccessKey.isEmpty else {
            throw AppError.badInput(
                "no secret access key: set AWS_SECRET_ACCESS_KEY or pass --secret-access-key-stdin",
                field: "secretAccessKey")
        }
    }

    /// Phrases a synchronous library failure for a user.
    func phrasedNow<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw AppError.from(error) ?? error }
    }

    /// Printable ASCII without spaces, as AWS key ids and session tokens are.
    static func isHeaderSafe(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) }
    }

    /// Seals a secret under the workspace key; the plain text is never stored.
    public func sealSecret(_ secret: String) throws -> Data {
        do { return try secretBox.seal(secret) } catch { throw AppError.from(error) ?? error }
    }

    /// Checks an existing destination's six permissions again.
    public func testDestination(_ nameOrId: String) async throws -> (DestinationRecord, PermissionReport) {
        let record = try await destination(nameOrId)
        return (record, try await checkPermissions(record))
    }

    /// Probes under the folder path's fixed part: macros are only known per run.
    public func checkPermissions(_ destination: DestinationRecord) async throws -> PermissionReport {
        try await phrased {
            let client = try s3Client(for: destination)
            let prefix = destination.folderPath.components(separatedBy: "%").first ?? ""
            return try await client.checkPermissions(bucket: destination.bucket, prefix: prefix)
        }
    }

    /// A client for a destination (stored keys or an assumed role, its SSE), with the same rules
    /// as the exporter's; a secret is unsealed only in memory.
    func s3Client(for destination: DestinationRecord) throws -> S3Client {
        try DestinationSecurity.s3Client(
            for: destination, open: { [secretBox] in try secretBox.openString($0) }, timeouts: s3Timeouts)
    }

    public func destinations() async throws -> [DestinationRecord] {
        try await phrased { try await store.destinations() }
    }

    public func destination(_ nameOrId: String) async throws -> DestinationRecord {
        try await phrased { try await store.destination(named: nameOrId) }
    }

    @discardableResult
    public func deleteDestination(_ nameOrId: String) async throws -> DestinationRecord {
        try await phrased { try await store.deleteDestination(nameOrId) }
    }
}

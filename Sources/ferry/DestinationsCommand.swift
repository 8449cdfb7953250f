import ArgumentParser
import Export
import FerryApp
import Foundation
import S3
import Workspace

/// `ferry destinations ...`: S3 buckets Ferry writes to.
struct DestinationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destinations", abstract: "Create, test, list and delete S3 destinations.",
        subcommands: [Create.self, Test.self, List.self, Show.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a destination; its six S3 permissions are checked first.",
            discussion: """
                The secret comes from AWS_SECRET_ACCESS_KEY or --secret-access-key-stdin, never from \
                the command line; it is stored sealed under the workspace key.

                The key needs s3:DeleteObject, s3:GetBucketLocation, s3:GetObject, s3:ListBucket, \
                s3:PutObject and s3:ListMultipartUploadParts; a missing one is named and the command \
                exits 3.

                Macros in --folder-path: %SEGMENT_NAME% %SEGMENT_ID% %DESTINATION_NAME% \
                %DESTINATION_ID% %DATETIME(pattern)% %TIMESTAMP%.

                Example:
                  ferry destinations create acme --bucket my-bucket \\
                    --folder-path 'audiences/%SEGMENT_NAME%' --manifest
                """
        )

        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "The destination's name.") var name: String
        @Option(help: "The bucket.") var bucket: String
        @Option(help: "Folder path inside the bucket; macros allowed.") var folderPath: String = ""
        @Option(help: "Bucket region (default: found from the bucket).") var region: String?
        @Option(help: "S3 endpoint URL for S3-compatible servers.") var endpoint: String?
        @Option(help: "csv, tsv, json (JSON Lines) or parquet.") var fileType: String = "csv"
        @Option(
            help: ArgumentHelp(
                "none, gzip or (parquet only) snappy.",
                discussion: "gzip compresses a whole csv, tsv or json file (.gz); Parquet compresses inside the file."))
        var compression: String = "none"
        @Flag(help: "Parquet: arrays and objects as LIST and STRUCT columns instead of JSON text.") var nested = false
        @Flag(help: "Write a manifest after each run's files.") var manifest = false
        @Option(help: "comma, tab, semicolon, pipe or colon.") var delimiter: String?
        @Option(
            help: ArgumentHelp(
                "needed, all or none.",
                discussion:
                    "With none and the default --escape double nothing can protect a value holding the delimiter or a line break, so a run that meets one fails, naming the column and the profile, instead of writing a file that reads back with extra rows; --escape backslash or quote escapes them instead."
            ))
        var quote: String = "needed"
        @Option(help: "double, backslash or quote.") var escape: String = "double"
        @Option(help: "How a missing value is written: empty, quoted-empty or null.") var nullValue: String = "empty"
        @Option(help: "How an empty string is written: empty, quoted-empty or null.") var emptyValue: String = "empty"
        @Option(help: "Access key id (default: AWS_ACCESS_KEY_ID).") var accessKeyId: String?
        @Flag(help: "Read the secret access key from standard input.") var secretAccessKeyStdin = false
        @Flag(help: "Save without checking permissions.") var skipValidation = false
        @Option(
            help: ArgumentHelp(
                "An OpenPGP public key file (armored or binary): every file is encrypted to it and gets .gpg.",
                discussion: "RSA 2048-4096 or cv25519; export it with gpg --export --armor KEYID.",
                valueName: "file"))
        var pgpPublicKey: String?
        @Option(
            help: ArgumentHelp(
                "An IAM role to assume for S3, with Ferry's own credentials (environment or profile); no keys are stored.",
                valueName: "arn"))
        var roleArn: String?
        @Option(help: "The sts:ExternalId the role's trust policy asks for.") var externalId: String?
        @Option(help: "The role session name (default: ferry).") var sessionName: String?
        @Option(help: "Server-side encryption: aes256 or aws:kms.") var sse: String?
        @Option(help: "The KMS key (id, ARN or alias/NAME) for --sse aws:kms.") var kmsKeyId: String?
        @OptionGroup var timeouts: S3TimeoutOptions

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            var input = DestinationInput(name: name, bucket: bucket)
            input.folderPath = folderPath
            input.region = region
            input.endpoint = endpoint
            input.fileType = fileType
            input.compression = compression
            input.nested = nested
            input.manifest = manifest
            input.delimiter = delimiter
            input.quote = quote
            input.escape = escape
            input.nullValue = nullValue
            input.emptyValue = emptyValue
            input.skipValidation = skipValidation
            if let pgpPublicKey {
                guard let data = FileManager.default.contents(atPath: pgpPublicKey) else {
                    throw CLIError(
                        "ferry: cannot read the PGP public key file \(pgpPublicKey)", exitCode: ExitStatus.badInput)
                }
                input.pgpPublicKey = [UInt8](data)
            }
            input.roleArn = roleArn
            input.externalId = externalId
            input.sessionName = sessionName
            input.sse = sse
            input.kmsKeyId = kmsKeyId
            // With a role, keys are taken only as given, so the use case can refuse
            // them; the environment's keys are then Ferry's own, used to assume it.
            input.accessKeyId = accessKeyId ?? (roleArn == nil ? environment["AWS_ACCESS_KEY_ID"] ?? "" : "")
            if secretAccessKeyStdin {
                input.secretAccessKey = (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: .whitespaces)
            } else if roleArn == nil {
                input.secretAccessKey = environment["AWS_SECRET_ACCESS_KEY"] ?? ""
                input.sessionToken = environment["AWS_SESSION_TOKEN"]
            }
            var app = try await options.useCases(creating: true)
            app.s3Timeouts = try timeouts.value()
            app.defaultEndpoint = CredentialsResolver(environment: environment).endpointOverride()
            let created: FerryUseCases.CreatedDestination
            do {
                created = try await app.createDestination(input)
            } catch let error as AppError {
                if let report = error.permissions { print(PermissionReportText.render(report), terminator: "") }
                throw AppErrorText.cliError(error)
            } catch {
                throw WorkspaceOptions.translate(error)
            }
            if let key = created.pgpKey { print("files will be encrypted to PGP key \(key)") }
            if let report = created.permissions { print(PermissionReportText.render(report), terminator: "") }
            print(created.destination.id)
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a destination's six S3 permissions again (exit 3 when any is missing).")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "Destination name or id.") var name: String
        @OptionGroup var timeouts: S3TimeoutOptions

        func run() async throws {
            var app = try await options.useCases()
            app.s3Timeouts = try timeouts.value()
            let (_, report) = try await AppErrorText.translating { try await app.testDestination(name) }
            print(PermissionReportText.render(report), terminator: "")
            if !report.allGranted { throw ExitCode(ExitStatus.missingPermissions) }
        }
    }

    /// What `list` and `show` print: the secret is never shown, the key id only masked.
    struct Output: Encodable {
        var id: String
        var name: String
        var bucket: String
        var folderPath: String
        var region: String?
        var endpoint: String?
        var fileType: String
        var compression: String
        var manifest: Bool
        var accessKeyId: String
        var secretAccessKey = "********"
        var createdAt: Date
        var pgpFingerprint: String?
        var roleArn: String?
        var externalId: String?
        var roleSessionName: String?
        var sse: String?
        var kmsKeyId: String?

        init(_ record: DestinationRecord) {
            id = record.id
            name = record.name
            bucket = record.bucket
            folderPath = record.folderPath
            region = record.region
            endpoint = record.endpoint
            fileType = record.fileType
            compression = record.compression
            manifest = record.manifest
            accessKeyId =
                String(record.accessKeyId.prefix(4))
                + String(repeating: "*", count: max(0, record.accessKeyId.count - 8))
                + String(record.accessKeyId.suffix(4))
            createdAt = record.createdAt
            pgpFingerprint = record.pgpFingerprint
            roleArn = record.roleArn
            externalId = record.externalId
            roleSessionName = record.roleSessionName
            sse = record.sse
            kmsKeyId = record.kmsKeyId
            if roleArn != nil { secretAccessKey = "" }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List destinations.")
        @OptionGroup var options: WorkspaceOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let opened = try await options.openStore()
            let workspace = opened.store
            let records = try await WorkspaceOptions.translatingErrors { try await workspace.destinations() }
            if json {
                print(try SegmentsShowCommand.json(records.map(Output.init)))
            } else {
                for r in records { print("\(r.name)\t\(r.id)\ts3://\(r.bucket)/\(r.folderPath)\t\(r.fileType)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a destination; secrets are masked.")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "Destination name or id.") var name: String

        func run() async throws {
            let opened = try await options.openStore()
            let workspace = opened.store
            let record = try await WorkspaceOptions.translatingErrors { try await workspace.destination(named: name) }
            print(try SegmentsShowCommand.json(Output(record)))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a destination no activation uses.")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "Destination name or id.") var name: String

        func run() async throws {
            let app = try await options.useCases()
            let record = try await AppErrorText.translating { try await app.deleteDestination(name) }
            print("deleted destination \(record.name) (\(record.id))")
        }
    }
}

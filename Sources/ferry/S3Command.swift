import ArgumentParser
import Foundation
import NIOCore
import S3

/// `ferry s3 ...`: direct S3 operations, spelled like `aws s3`.
struct S3Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3",
        abstract: "Check permissions, copy files and list objects in S3.",
        subcommands: [Check.self, Copy.self, List.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the six IAM permissions an S3 destination needs (exit 3 when any is missing).")

        @Argument(help: "s3://BUCKET/PREFIX where probe objects may be written.")
        var location: String

        @OptionGroup var s3: S3Options

        func run() async throws {
            let uri = try S3URI(parsing: location)
            let report = try await withS3Client(s3) { client in
                try await client.checkPermissions(bucket: uri.bucket, prefix: uri.key)
            }
            print(PermissionReportText.render(report), terminator: "")
            if !report.allGranted { throw ExitCode(ExitStatus.missingPermissions) }
        }
    }

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cp", abstract: "Upload a local file to S3, in parts when it is large.")

        @Argument(help: "The local file.") var source: String
        @Argument(help: "s3://BUCKET/KEY") var destination: String
        @Option(help: "Part size in MiB (minimum 5).") var partSize: Int = 16
        @Option(help: "Parts uploaded at once.") var concurrency: Int = 4
        @OptionGroup var s3: S3Options

        func run() async throws {
            let uri = try S3URI(parsing: destination)
            guard !uri.key.isEmpty else {
                throw CLIError("the destination needs a key: s3://BUCKET/KEY", exitCode: ExitStatus.badInput)
            }
            let file: ReadOnlyFile
            do { file = try ReadOnlyFile(path: source) } catch {
                throw CLIError("\(error)", exitCode: ExitStatus.badInput)
            }
            let options = try UploadOptions(partSize: partSize * 1024 * 1024, concurrency: concurrency)
            let result = try await withS3Client(s3) { client in
                do {
                    return try await client.upload(
                        file: file, bucket: uri.bucket, key: uri.key, options: options)
                } catch let error as MultipartUploadError {
                    // Best effort: abort is outside the six permissions, so a
                    // refusal here is expected and only the id is reported.
                    try? await client.abortMultipartUpload(bucket: uri.bucket, key: uri.key, uploadId: error.uploadId)
                    throw error
                }
            }
            print(
                "upload: \(source) to s3://\(uri.bucket)/\(uri.key) (\(result.size) bytes, \(result.partCount) part\(result.partCount == 1 ? "" : "s"))"
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List objects under a prefix.")

        @Argument(help: "s3://BUCKET/PREFIX") var location: String
        @OptionGroup var s3: S3Options

        func run() async throws {
            let uri = try S3URI(parsing: location)
            let objects = try await withS3Client(s3) { client in
                try await client.listObjects(bucket: uri.bucket, prefix: uri.key)
            }
            for object in objects {
                print("\(object.key)\t\(object.size)\t\(object.lastModified)")
            }
        }
    }
}

/// The check's output: one line per permission, then the missing ones named.
enum PermissionReportText {
    static func render(_ report: PermissionReport) -> String {
        var text = ""
        for result in report.results {
            text +=
                "\(result.permission.rawValue.padding(toLength: 30, withPad: " ", startingAt: 0))\(result.granted ? "ok" : "missing")\n"
        }
        if !report.allGranted {
            text += "missing permissions: \(report.missing.map(\.rawValue).joined(separator: ", "))\n"
        }
        if !report.leftovers.isEmpty {
            text += "probe objects left (no s3:DeleteObject): \(report.leftovers.joined(separator: ", "))\n"
        }
        return text
    }
}

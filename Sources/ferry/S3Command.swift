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
            commandName: "cp",
            abstract: "Copy a local file to S3 (in parts when it is large), or an S3 object to a local file.",
            discussion: """
                As with `aws s3 cp`: a destination ending in '/' gets the source's file name, and a local \
                destination that is a folder gets the key's last part. A download appears at its path only \
                once complete; an existing file there is replaced.
                """)

        @Argument(help: "A local file, or s3://BUCKET/KEY to download.") var source: String
        @Argument(help: "s3://BUCKET/KEY or s3://BUCKET/PREFIX/; or a local file or folder for a download.")
        var destination: String
        @Option(help: "Part size in MiB, from 5 to \(UploadOptions.maximumPartSize >> 20).") var partSize: Int = 16
        @Option(help: "Parts uploaded at once.") var concurrency: Int = 4
        @OptionGroup var s3: S3Options

        func run() async throws {
            switch (source.hasPrefix("s3://"), destination.hasPrefix("s3://")) {
            case (false, true): try await upload()
            case (true, false): try await download()
            case (true, true):
                throw CLIError("ferry: copying from S3 to S3 is not supported", exitCode: ExitStatus.badInput)
            case (false, false):
                throw CLIError(
                    "ferry: one of the two locations must be s3://BUCKET/KEY", exitCode: ExitStatus.badInput)
            }
        }

        func upload() async throws {
            let uri = try S3URI(parsing: destination)
            let options = try UploadOptions(partSizeMiB: partSize, concurrency: concurrency)
            let file: ReadOnlyFile
            do { file = try ReadOnlyFile(path: source) } catch {
                throw CLIError("ferry: \(error)", exitCode: ExitStatus.badInput)
            }
            // `aws s3 cp FILE s3://b/dir/` writes dir/FILE.
            let key =
                uri.key.isEmpty || uri.key.hasSuffix("/")
                ? uri.key + URL(fileURLWithPath: source).lastPathComponent : uri.key
            let result = try await withS3Client(s3) { client in
                do {
                    return try await client.upload(file: file, bucket: uri.bucket, key: key, options: options)
                } catch let error as MultipartUploadError {
                    // Best effort: abort is outside the six permissions, so a
                    // refusal here is expected and only the id is reported.
                    try? await client.abortMultipartUpload(bucket: uri.bucket, key: key, uploadId: error.uploadId)
                    throw error
                }
            }
            print(
                "upload: \(source) to s3://\(uri.bucket)/\(key) (\(result.size) bytes, \(result.partCount) part\(result.partCount == 1 ? "" : "s"))"
            )
        }

        func download() async throws {
            let uri = try S3URI(parsing: source)
            let name = uri.key.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
            guard !name.isEmpty else {
                throw CLIError(
                    "ferry: the source must name an object, s3://BUCKET/KEY, not a prefix",
                    exitCode: ExitStatus.badInput
                )
            }
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory)
            let path: String
            if exists && isDirectory.boolValue {
                path = URL(fileURLWithPath: destination).appendingPathComponent(name).path
            } else if destination.hasSuffix("/") {
                throw CLIError("ferry: the folder '\(destination)' does not exist", exitCode: ExitStatus.badInput)
            } else {
                path = destination
            }
            let result = try await withS3Client(s3) { client in
                try await client.download(bucket: uri.bucket, key: uri.key, to: path)
            }
            print("download: s3://\(uri.bucket)/\(uri.key) to \(path) (\(result.size) bytes)")
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
            text += "probe objects left behind: \(report.leftovers.joined(separator: ", "))\n"
        }
        return text
    }
}

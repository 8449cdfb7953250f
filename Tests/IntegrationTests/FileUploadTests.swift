import Foundation
import NIOCore
import S3
import Testing

/// `upload(file:)`, the path `ferry s3 cp` takes: parts are slices of the file
/// read when they are sent, so these check that what arrives is the file.
@Suite struct FileUploadTests {
    let env = TestEnvironment.shared

    func write(_ bytes: [UInt8], name: String) async throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-file-upload-\(UUID().uuidString)-\(name)"
        ).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func largeFileGoesMultipartAndArrivesIdentical() async throws {
        let client = env.client()
        let key = TestEnvironment.prefix("file") + "forty.bin"
        let part = 5 * 1024 * 1024
        // Not a multiple of the part size, nor of the read chunk.
        let bytes = testBytes(count: 8 * part + 123_457, seed: 11)
        let path = try await write(bytes, name: "forty.bin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorded = UploadIdBox()
        let result = try await client.upload(
            file: try ReadOnlyFile(path: path), bucket: env.bucket, key: key,
            options: try UploadOptions(partSize: part, concurrency: 4),
            onUploadCreated: { id in await recorded.set(id) })
        #expect(result.partCount == 9)
        #expect(result.size == Int64(bytes.count))
        #expect(await recorded.value == result.uploadId)
        #expect(try await client.getObject(bucket: env.bucket, key: key) == bytes)
        // Every part carried a CRC-32C, so S3 keeps a composite checksum of 9 parts.
        let head = try await client.headObject(bucket: env.bucket, key: key, checksumMode: true)
        #expect(head?.checksumCRC32C?.hasSuffix("-9") == true || head?.checksumCRC32C?.isEmpty == false)
        try await client.shutdown()
    }

    @Test func smallFileUsesOnePutObject() async throws {
        let client = env.client()
        let key = TestEnvironment.prefix("file") + "small.bin"
        let bytes = testBytes(count: 1024, seed: 12)
        let path = try await write(bytes, name: "small.bin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await client.upload(file: try ReadOnlyFile(path: path), bucket: env.bucket, key: key)
        #expect(result.uploadId == nil)
        #expect(result.partCount == 1)
        #expect(try await client.getObject(bucket: env.bucket, key: key) == bytes)
        let empty = try await write([], name: "empty.bin")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        _ = try await client.upload(file: try ReadOnlyFile(path: empty), bucket: env.bucket, key: key + ".empty")
        #expect(try await client.headObject(bucket: env.bucket, key: key + ".empty")?.size == 0)
        try await client.shutdown()
    }

    @Test func interruptedFileUploadIsResumedFromItsParts() async throws {
        let client = env.client()
        let key = TestEnvironment.prefix("file-resume") + "resumed.bin"
        let part = 5 * 1024 * 1024
        let bytes = testBytes(count: 3 * part + 1000, seed: 13)
        let path = try await write(bytes, name: "resumed.bin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let uploadId = try await client.createMultipartUpload(bucket: env.bucket, key: key)
        // Part 1 matches the file; part 2 was cut from other bytes and must be sent again.
        _ = try await client.uploadPart(
            bucket: env.bucket, key: key, uploadId: uploadId, partNumber: 1, body: ByteBuffer(bytes: bytes[0..<part]))
        _ = try await client.uploadPart(
            bucket: env.bucket, key: key, uploadId: uploadId, partNumber: 2,
            body: ByteBuffer(bytes: testBytes(count: part, seed: 99)))
        let result = try await client.upload(
            file: try ReadOnlyFile(path: path), bucket: env.bucket, key: key,
            options: try UploadOptions(partSize: part, concurrency: 2), resumeUploadId: uploadId)
        #expect(result.uploadId == uploadId)
        #expect(result.reusedParts == 1)
        #expect(result.partCount == 4)
        #expect(try await client.getObject(bucket: env.bucket, key: key) == bytes)
        try await client.shutdown()
    }

    @Test func aFileThatShrinksDuringTheUploadFailsInsteadOfSendingShortParts() async throws {
        let client = env.client()
        let key = TestEnvironment.prefix("file-shrink") + "shrunk.bin"
        let part = 5 * 1024 * 1024
        let path = try await write(testBytes(count: 3 * part, seed: 14), name: "shrunk.bin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ReadOnlyFile(path: path)
        // The size was taken when the file was opened; the upload must notice the change.
        #expect(truncate(path, off_t(part)) == 0)
        await #expect {
            _ = try await client.upload(
                file: file, bucket: env.bucket, key: key, options: try UploadOptions(partSize: part, concurrency: 2))
        } throws: { error in
            String(describing: error).contains("got shorter while it was being uploaded")
        }
        #expect(try await client.headObject(bucket: env.bucket, key: key) == nil)
        try await client.shutdown()
    }

    @Test func aDirectoryOrMissingFileIsRefusedBeforeAnyRequest() async throws {
        #expect(throws: S3ConfigurationError.self) { try ReadOnlyFile(path: "/nonexistent/ferry/file") }
        #expect {
            try ReadOnlyFile(path: FileManager.default.temporaryDirectory.path)
        } throws: { error in
            String(describing: error).contains("not a regular file")
        }
    }
}

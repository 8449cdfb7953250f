import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a download wrote.
public struct DownloadResult: Sendable, Equatable {
    public var path: String
    public var size: Int64
    public var etag: String
}

extension S3Client {
    /// Streams an object into a local file. The bytes go to a temporary file
    /// in the same folder, which is renamed over `path` only once complete
    /// and checked, so `path` never holds a partial object. Memory stays at
    /// one write buffer whatever the object's size.
    public func download(bucket: String, key: String, to path: String) async throws -> DownloadResult {
        try BucketName.validate(bucket)
        let target = URL(fileURLWithPath: path)
        let file = try DownloadFile(next: target)
        var size: Int64 = 0
        var etag = ""
        do {
            _ = try await execute(
                Request(operation: .getObject, method: .GET, bucket: bucket, key: key),
                receive: { body, headers in
                    // A retry starts the object again from its first byte.
                    try await file.truncate()
                    var md5 = Insecure.MD5()
                    var pending = ByteBuffer()
                    var written: Int64 = 0
                    for try await chunk in body {
                        chunk.withUnsafeReadableBytes { md5.update(bufferPointer: $0) }
                        var chunk = chunk
                        pending.writeBuffer(&chunk)
                        if pending.readableBytes >= DownloadFile.writeSize {
                            try await file.write(pending, at: written)
                            written += Int64(pending.readableBytes)
                            pending.clear()
                        }
                    }
                    if pending.readableBytes > 0 {
                        try await file.write(pending, at: written)
                        written += Int64(pending.readableBytes)
                    }
                    etag = headers.first(name: "etag") ?? ""
                    try Self.checkDownload(
                        written: written, md5: md5.finalize(), headers: headers, bucket: bucket, key: key)
                    size = written
                })
            try await file.commit()
        } catch {
            file.discard()
            throw error
        }
        return DownloadResult(path: path, size: size, etag: etag)
    }

    /// The length must be what S3 announced, and for a plain single-part
    /// object the bytes must hash to its ETag.
    static func checkDownload(
        written: Int64, md5: Insecure.MD5Digest, headers: HTTPHeaders, bucket: String, key: String
    ) throws {
        func fail(_ message: String) -> S3Error {
            // Sent again like a dropped connection: the next attempt may arrive whole.
            S3Error(
                code: "IncompleteBody", message: message, httpStatus: 0, operation: .getObject, bucket: bucket,
                key: key)
        }
        if let announced = headers.first(name: "content-length").flatMap({ Int64($0) }), announced != written {
            throw fail("the download ended after \(written) of \(announced) bytes")
        }
        let etag = (headers.first(name: "etag") ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let plain =
            etag.count == 32 && etag.allSatisfy(\.isHexDigit)
            && headers.first(name: "x-amz-server-side-encryption") != "aws:kms"
            && headers.first(name: "x-amz-server-side-encryption-customer-algorithm") == nil
        if plain && etag.lowercased() != SigV4Signer.hex(md5) {
            throw fail("the bytes received do not match the object's ETag \(etag)")
        }
    }
}

/// The temporary file a download writes, next to its final name.
final class DownloadFile: Sendable {
    static let writeSize = 1024 * 1024

    let temporaryPath: String
    let finalPath: String
    let descriptor: Int32

    init(next target: URL) throws(S3ConfigurationError) {
        finalPath = target.path
        let folder = target.deletingLastPathComponent().path
        temporaryPath =
            folder + "/." + target.lastPathComponent + ".ferry-" + UUID().uuidString.prefix(8).lowercased() + ".part"
        let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw .invalidArgument("cannot write into the folder '\(folder)': \(ReadOnlyFile.errnoText())")
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// File I/O runs on NIO's blocking pool, never on the cooperative threads.
    func truncate() async throws {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            guard ftruncate(descriptor, 0) == 0 else { throw writeError() }
        }
    }

    func write(_ buffer: ByteBuffer, at offset: Int64) async throws {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            try buffer.withUnsafeReadableBytes { raw in
                var done = 0
                while done < raw.count {
                    let count = pwrite(
                        descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
                    if count < 0 {
                        if errno == EINTR { continue }
                        throw writeError()
                    }
                    done += count
                }
            }
        }
    }

    /// Flushes and puts the file in place, as `aws s3 cp` does over an existing one.
    func commit() async throws {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            guard fsync(descriptor) == 0 else { throw writeError() }
            guard rename(temporaryPath, finalPath) == 0 else {
                let why = ReadOnlyFile.errnoText()
                unlink(temporaryPath)
                throw S3ConfigurationError.invalidArgument("cannot write the file '\(finalPath)': \(why)")
            }
        }
    }

    func discard() {
        unlink(temporaryPath)
    }

    private func writeError() -> S3ConfigurationError {
        .invalidArgument("cannot write the file '\(finalPath)': \(ReadOnlyFile.errnoText())")
    }
}

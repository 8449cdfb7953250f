import Crypto
import Foundation
import NIOCore

/// How a streaming upload cuts and sends its body.
public struct UploadOptions: Sendable {
    public static let minimumPartSize = 5 * 1024 * 1024
    public static let maximumParts = 10_000

    public var partSize: Int
    /// Parts in flight at once; memory stays within (concurrency + 1) x partSize.
    public var concurrency: Int
    public var contentType: String?

    public init(partSize: Int = 16 * 1024 * 1024, concurrency: Int = 4, contentType: String? = nil)
        throws(S3ConfigurationError)
    {
        guard partSize >= Self.minimumPartSize else {
            throw .invalidArgument("the part size must be at least 5 MiB, S3's minimum")
        }
        guard partSize <= 5 * 1024 * 1024 * 1024 else { throw .invalidArgument("the part size must be at most 5 GiB") }
        guard concurrency >= 1 else { throw .invalidArgument("the concurrency must be at least 1") }
        self.partSize = partSize
        self.concurrency = concurrency
        self.contentType = contentType
    }

    public static let `default` = try! UploadOptions()
}

/// What a finished upload wrote.
public struct UploadResult: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String
    /// Nil when the body fit in one PutObject.
    public var uploadId: String?
    public var partCount: Int
    /// Parts that were already in S3 from an interrupted attempt and were not sent again.
    public var reusedParts: Int
    /// Hex SHA-256 of the whole object, for manifests.
    public var sha256: String
}

/// A multipart upload failed; its id is kept so a caller can resume it with
/// ListParts, since aborting needs a permission the six do not include.
public struct MultipartUploadError: Error, Sendable, CustomStringConvertible {
    public var uploadId: String
    public var key: String
    public var underlying: any Error

    public var description: String {
        "\(underlying) [multipart upload \(uploadId) of \(key) was left open and can be resumed]"
    }
}

extension S3Client {
    /// Uploads a body of unknown length: one PutObject when it fits in a
    /// part, otherwise a multipart upload with parts sent concurrently.
    ///
    /// - Parameters:
    ///   - resumeUploadId: an upload left by an earlier, interrupted attempt at
    ///     the same key. Parts S3 already holds with the same MD5 are kept, the
    ///     rest are sent, and that same upload is completed.
    ///   - onUploadCreated: called with the upload id before the first part
    ///     is sent, so a caller can record it and resume after a crash.
    public func upload<Body: AsyncSequence & Sendable>(
        _ body: Body, bucket: String, key: String, options: UploadOptions = .default,
        resumeUploadId: String? = nil,
        onUploadCreated: @Sendable (String) async throws -> Void = { _ in }
    ) async throws -> UploadResult where Body.Element == ByteBuffer {
        try BucketName.validate(bucket)
        var reader = PartReader(iterator: body.makeAsyncIterator(), partSize: options.partSize)
        var first = try await reader.next() ?? ByteBuffer()
        var second = first.readableBytes < options.partSize ? nil : try await reader.next()
        if second == nil && resumeUploadId == nil {
            let etag = try await putObject(bucket: bucket, key: key, body: first, contentType: options.contentType)
            return UploadResult(
                key: key, size: Int64(first.readableBytes), etag: etag, uploadId: nil, partCount: 1, reusedParts: 0,
                sha256: reader.digest())
        }
        var uploadId = resumeUploadId ?? ""
        var existing: [Int: S3Part] = [:]
        if let resumeUploadId {
            do {
                for part in try await listParts(bucket: bucket, key: key, uploadId: resumeUploadId) {
                    existing[part.partNumber] = part
                }
            } catch let error as S3Error where error.code == "NoSuchUpload" {
                uploadId = ""
            }
        }
        if uploadId.isEmpty {
            uploadId = try await createMultipartUpload(bucket: bucket, key: key, contentType: options.contentType)
        }
        try await onUploadCreated(uploadId)
        do {
            // The parts read ahead move into the uploader, so this frame does not
            // keep two part buffers alive for the whole upload.
            var readAhead = [first] + (second.map { [$0] } ?? [])
            first = ByteBuffer()
            second = nil
            let parts = try await uploadParts(
                readAhead: &readAhead, reader: &reader, bucket: bucket, key: key, uploadId: uploadId,
                options: options, existing: existing)
            let etag = try await completeMultipartUpload(
                bucket: bucket, key: key, uploadId: uploadId, parts: parts.parts)
            return UploadResult(
                key: key, size: parts.parts.reduce(0) { $0 + $1.size }, etag: etag, uploadId: uploadId,
                partCount: parts.parts.count, reusedParts: parts.reused, sha256: reader.digest())
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw MultipartUploadError(uploadId: uploadId, key: key, underlying: error)
        }
    }

    private func uploadParts<Iterator: AsyncIteratorProtocol>(
        readAhead pending: inout [ByteBuffer], reader: inout PartReader<Iterator>, bucket: String, key: String,
        uploadId: String, options: UploadOptions, existing: [Int: S3Part]
    ) async throws -> (parts: [S3Part], reused: Int) where Iterator.Element == ByteBuffer {
        try await withThrowingTaskGroup(of: S3Part.self) { group in
            var done: [S3Part] = []
            var reused = 0
            var inFlight = 0
            var partNumber = 0
            while true {
                let part: ByteBuffer
                if !pending.isEmpty {
                    part = pending.removeFirst()
                } else if let next = try await reader.next() {
                    part = next
                } else {
                    break
                }
                partNumber += 1
                guard partNumber <= UploadOptions.maximumParts else {
                    throw S3ConfigurationError.invalidArgument(
                        "the body needs more than 10,000 parts; use a larger part size")
                }
                if let old = existing[partNumber], old.size == part.readableBytes,
                    old.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                        == SigV4Signer.hex(part.md5)
                {
                    done.append(old)
                    reused += 1
                    continue
                }
                if inFlight >= options.concurrency, let finished = try await group.next() {
                    done.append(finished)
                    inFlight -= 1
                }
                let number = partNumber
                group.addTask {
                    try await self.uploadPart(
                        bucket: bucket, key: key, uploadId: uploadId, partNumber: number, body: part)
                }
                inFlight += 1
            }
            for try await finished in group { done.append(finished) }
            return (done.sorted { $0.partNumber < $1.partNumber }, reused)
        }
    }
}

/// Cuts a stream of buffers into parts of exactly `partSize` bytes (the last
/// one shorter) and hashes everything that passes through.
struct PartReader<Iterator: AsyncIteratorProtocol> where Iterator.Element == ByteBuffer {
    var iterator: Iterator
    let partSize: Int
    var carry: ByteBuffer?
    var hasher = SHA256()
    var finished = false

    init(iterator: Iterator, partSize: Int) {
        self.iterator = iterator
        self.partSize = partSize
    }

    mutating func next() async throws -> ByteBuffer? {
        guard !finished || carry != nil else { return nil }
        var part = ByteBufferAllocator().buffer(capacity: partSize)
        if var rest = carry {
            carry = nil
            part.writeBuffer(&rest)
        }
        if part.readableBytes > partSize {
            carry = part.getSlice(at: part.readerIndex + partSize, length: part.readableBytes - partSize)
            part = part.getSlice(at: part.readerIndex, length: partSize)!
            part.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            return part
        }
        while part.readableBytes < partSize, !finished {
            guard var chunk = try await iterator.next() else {
                finished = true
                break
            }
            let room = partSize - part.readableBytes
            if chunk.readableBytes > room {
                var head = chunk.readSlice(length: room)!
                part.writeBuffer(&head)
                carry = chunk
            } else {
                part.writeBuffer(&chunk)
            }
        }
        if part.readableBytes == 0 && finished && carry == nil { return nil }
        part.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        return part
    }

    func digest() -> String { SigV4Signer.hex(hasher.finalize()) }
}

/// A file read as a sequence of buffers, so a local file and an export
/// stream go through the same upload path.
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public let path: String
    public let chunkSize: Int

    public init(path: String, chunkSize: Int = 1024 * 1024) {
        self.path = path
        self.chunkSize = chunkSize
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle
        let chunkSize: Int

        public mutating func next() async throws -> ByteBuffer? {
            guard let data = try handle.read(upToCount: chunkSize), !data.isEmpty else {
                try? handle.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        // Opening is checked by the caller before the upload starts; a file
        // that vanished since then reads as empty.
        let handle = FileHandle(forReadingAtPath: path) ?? FileHandle.nullDevice
        return AsyncIterator(handle: handle, chunkSize: chunkSize)
    }
}

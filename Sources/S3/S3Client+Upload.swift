import Crypto
import Foundation
import NIOCore

/// How a streaming upload cuts and sends its body.
public struct UploadOptions: Sendable {
    public static let minimumPartSize = 5 * 1024 * 1024
    /// S3 allows 5 GiB, but a streamed part is held in one ByteBuffer, whose
    /// size is a UInt32; the largest whole MiB below 4 GiB is the limit.
    public static let maximumPartSize = 4095 * 1024 * 1024
    public static let maximumParts = 10_000

    public var partSize: Int
    /// Parts in flight at once; memory stays within (concurrency + 1) x partSize.
    public var concurrency: Int
    public var contentType: String?
    /// User metadata (`x-amz-meta-*`) the object is created with.
    public var metadata: [String: String] = [:]

    public init(partSize: Int = 16 * 1024 * 1024, concurrency: Int = 4, contentType: String? = nil)
        throws(S3ConfigurationError)
    {
        self.partSize = partSize
        self.concurrency = concurrency
        self.contentType = contentType
        try validate()
    }

    /// Checked again by each upload, since the fields can be changed after init.
    public func validate() throws(S3ConfigurationError) {
        guard (Self.minimumPartSize...Self.maximumPartSize).contains(partSize) else {
            throw Self.partSizeError("\(partSize) bytes")
        }
        guard concurrency >= 1 else { throw .invalidArgument("the concurrency must be at least 1") }
    }

    /// The part size as the command line takes it, checked before it is
    /// multiplied, so no value can overflow.
    public init(partSizeMiB: Int, concurrency: Int = 4, contentType: String? = nil) throws(S3ConfigurationError) {
        guard (Self.minimumPartSize >> 20...Self.maximumPartSize >> 20).contains(partSizeMiB) else {
            throw Self.partSizeError("\(partSizeMiB) MiB")
        }
        try self.init(partSize: partSizeMiB << 20, concurrency: concurrency, contentType: contentType)
    }

    static func partSizeError(_ given: String) -> S3ConfigurationError {
        .invalidArgument(
            "the part size must be from \(minimumPartSize >> 20) MiB (S3's minimum) to \(maximumPartSize >> 20) MiB (the largest part Ferry can hold), not \(given)"
        )
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
    /// Hex SHA-256 of the whole object, for manifests. Stream uploads hash
    /// as they read; file uploads leave it nil, since their parts are hashed
    /// concurrently and a whole-file hash would be one more serial pass.
    public var sha256: String?
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
    /// Memory stays within (concurrency + 1) x part size.
    ///
    /// - Parameters:
    ///   - resumeUploadId: an upload left by an earlier, interrupted attempt at
    ///     the same key. Parts S3 already holds with the same MD5 are kept, the
    ///     rest are sent, and that same upload is completed.
    ///   - beforeCreate: called just before a multipart upload is created,
    ///     so a caller can note that one may exist before S3 has named it.
    ///   - onUploadCreated: called with the upload id before the first part
    ///     is sent, so a caller can record it and resume after a crash.
    ///   - beforeComplete: called with the object's size and SHA-256 just
    ///     before the write that makes it visible (the PutObject or the
    ///     CompleteMultipartUpload); throwing there leaves no object.
    public func upload<Body: AsyncSequence & Sendable>(
        _ body: Body, bucket: String, key: String, options: UploadOptions = .default,
        resumeUploadId: String? = nil,
        beforeCreate: @Sendable () async throws -> Void = {},
        onUploadCreated: @Sendable (String) async throws -> Void = { _ in },
        beforeComplete: @Sendable (_ size: Int64, _ sha256: String?) async throws -> Void = { _, _ in }
    ) async throws -> UploadResult where Body.Element == ByteBuffer {
        try BucketName.validate(bucket)
        try options.validate()
        var reader = PartReader(iterator: body.makeAsyncIterator(), partSize: options.partSize)
        var first = try await reader.next() ?? ByteBuffer()
        var second = first.readableBytes < options.partSize ? nil : try await reader.next()
        if second == nil && resumeUploadId == nil {
            try await beforeComplete(Int64(first.readableBytes), reader.digest())
            let etag = try await putObject(
                bucket: bucket, key: key, body: first, contentType: options.contentType, metadata: options.metadata)
            return UploadResult(
                key: key, size: Int64(first.readableBytes), etag: etag, uploadId: nil, partCount: 1, reusedParts: 0,
                sha256: reader.digest())
        }
        // The parts read ahead move into the reader, so this frame does not
        // keep two part buffers alive for the whole upload.
        reader.unread([first] + (second.map { [$0] } ?? []))
        first = ByteBuffer()
        second = nil
        var result = try await multipartUpload(
            from: &reader, bucket: bucket, key: key, options: options, resumeUploadId: resumeUploadId,
            beforeCreate: beforeCreate, onUploadCreated: onUploadCreated, beforeComplete: beforeComplete)
        result.sha256 = reader.digest()
        return result
    }

    /// Uploads a local file. Parts are slices of the file, hashed and sent
    /// straight from it by the task that uploads them, so memory does not
    /// grow with the part size and the parts are hashed in parallel.
    public func upload(
        file: ReadOnlyFile, bucket: String, key: String, options: UploadOptions = .default,
        resumeUploadId: String? = nil,
        onUploadCreated: @Sendable (String) async throws -> Void = { _ in }
    ) async throws -> UploadResult {
        try BucketName.validate(bucket)
        try options.validate()
        if file.size <= Int64(options.partSize) && resumeUploadId == nil {
            let body = try await file.read(offset: 0, length: Int(file.size))
            let etag = try await putObject(
                bucket: bucket, key: key, body: body, contentType: options.contentType, metadata: options.metadata)
            return UploadResult(
                key: key, size: file.size, etag: etag, uploadId: nil, partCount: 1, reusedParts: 0, sha256: nil)
        }
        // Found out before the upload is created, not at part 10,001 with an upload left open.
        let partCount = (file.size + Int64(options.partSize) - 1) / Int64(options.partSize)
        guard partCount <= Int64(UploadOptions.maximumParts) else {
            throw S3ConfigurationError.invalidArgument(
                "the file needs \(partCount) parts of \(options.partSize >> 20) MiB, more than S3's 10,000; use a larger part size"
            )
        }
        var slices = FileParts(file: file, partSize: options.partSize)
        return try await multipartUpload(
            from: &slices, bucket: bucket, key: key, options: options, resumeUploadId: resumeUploadId,
            beforeCreate: {}, onUploadCreated: onUploadCreated, beforeComplete: { _, _ in })
    }

    private func multipartUpload<Source: PartSource>(
        from source: inout Source, bucket: String, key: String, options: UploadOptions, resumeUploadId: String?,
        beforeCreate: @Sendable () async throws -> Void,
        onUploadCreated: @Sendable (String) async throws -> Void,
        beforeComplete: @Sendable (_ size: Int64, _ sha256: String?) async throws -> Void
    ) async throws -> UploadResult {
        var uploadId = resumeUploadId ?? ""
        var existing: [Int: S3Part] = [:]
        // New uploads carry a CRC-32C on every part; a resumed one keeps
        // whatever it was created with, since S3 refuses a mix.
        var crc32c = true
        if let resumeUploadId {
            do {
                let listed = try await listUploadParts(bucket: bucket, key: key, uploadId: resumeUploadId)
                for part in listed.parts { existing[part.partNumber] = part }
                crc32c = listed.checksumAlgorithm?.uppercased() == "CRC32C"
            } catch let error as S3Error where error.code == "NoSuchUpload" {
                uploadId = ""
            }
        }
        if uploadId.isEmpty {
            try await beforeCreate()
            uploadId = try await createMultipartUpload(
                bucket: bucket, key: key, contentType: options.contentType, checksumCRC32C: crc32c,
                metadata: options.metadata)
        }
        try await onUploadCreated(uploadId)
        do {
            let parts = try await uploadParts(
                from: &source, bucket: bucket, key: key, uploadId: uploadId, options: options, existing: existing,
                crc32c: crc32c)
            try await beforeComplete(parts.parts.reduce(0) { $0 + $1.size }, source.digest())
            let etag = try await completeMultipartUpload(
                bucket: bucket, key: key, uploadId: uploadId, parts: parts.parts)
            return UploadResult(
                key: key, size: parts.parts.reduce(0) { $0 + $1.size }, etag: etag, uploadId: uploadId,
                partCount: parts.parts.count, reusedParts: parts.reused, sha256: nil)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw MultipartUploadError(uploadId: uploadId, key: key, underlying: error)
        }
    }

    private func uploadParts<Source: PartSource>(
        from source: inout Source, bucket: String, key: String, uploadId: String, options: UploadOptions,
        existing: [Int: S3Part], crc32c: Bool
    ) async throws -> (parts: [S3Part], reused: Int) {
        try await withThrowingTaskGroup(of: (part: S3Part, reused: Bool).self) { group in
            var done: [S3Part] = []
            var reused = 0
            var inFlight = 0
            var partNumber = 0
            func collect(_ finished: (part: S3Part, reused: Bool)) {
                done.append(finished.part)
                if finished.reused { reused += 1 }
                inFlight -= 1
            }
            while let payload = try await source.nextPart() {
                partNumber += 1
                guard partNumber <= UploadOptions.maximumParts else {
                    throw S3ConfigurationError.invalidArgument(
                        "the body needs more than 10,000 parts; use a larger part size")
                }
                if inFlight >= options.concurrency, let finished = try await group.next() {
                    collect(finished)
                }
                let number = partNumber
                let old = existing[number]
                group.addTask {
                    // Hashing here rather than in the reading loop spreads the
                    // MD5 and SHA-256 work of the parts over the cores.
                    let prepared = try await payload.prepare()
                    let crc = crc32c ? CRC32C.base64(prepared.crc32c) : nil
                    if let old, old.size == Int64(prepared.body.length),
                        old.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                            == SigV4Signer.hex(prepared.md5),
                        old.checksumCRC32C == nil || old.checksumCRC32C == crc
                    {
                        return (old, true)
                    }
                    let part = try await self.uploadPart(
                        bucket: bucket, key: key, uploadId: uploadId, partNumber: number, body: prepared.body,
                        md5: prepared.md5, crc32c: crc)
                    return (part, false)
                }
                inFlight += 1
            }
            while let finished = try await group.next() { collect(finished) }
            return (done.sorted { $0.partNumber < $1.partNumber }, reused)
        }
    }
}

/// One part's bytes: in memory, or a slice of a file read when it is sent.
enum PartPayload: Sendable {
    case bytes(ByteBuffer)
    case file(FileSlice)

    /// The part's digests and its request body with the payload hash; a
    /// file slice is read once here for all three and again when sent.
    func prepare() async throws -> (md5: Insecure.MD5Digest, crc32c: UInt32, body: S3Client.RequestBody) {
        switch self {
        case .bytes(let bytes):
            let crc = bytes.withUnsafeReadableBytes { CRC32C.checksum($0) }
            return (bytes.md5, crc, S3Client.RequestBody(bytes))
        case .file(let slice):
            var md5 = Insecure.MD5()
            var sha = SHA256()
            var crc = CRC32C()
            for try await chunk in slice.chunks() {
                chunk.withUnsafeReadableBytes {
                    md5.update(bufferPointer: $0)
                    sha.update(bufferPointer: $0)
                    crc.update(bufferPointer: $0)
                }
            }
            return (md5.finalize(), crc.value, S3Client.RequestBody(slice, sha256Hex: SigV4Signer.hex(sha.finalize())))
        }
    }
}

/// Where a multipart upload's parts come from, in order.
protocol PartSource {
    mutating func nextPart() async throws -> PartPayload?
    /// Hex SHA-256 of everything read, when the source hashes as it reads.
    func digest() -> String?
}

/// A file cut into slices of the part size; nothing is read until a part is sent.
struct FileParts: PartSource {
    let file: ReadOnlyFile
    let partSize: Int
    var offset: Int64 = 0

    mutating func nextPart() async throws -> PartPayload? {
        guard offset < file.size else { return nil }
        let length = Int(min(Int64(partSize), file.size - offset))
        defer { offset += Int64(length) }
        return .file(FileSlice(file: file, offset: offset, length: length))
    }

    func digest() -> String? { nil }
}

/// Cuts a stream of buffers into parts of exactly `partSize` bytes (the last
/// one shorter) and hashes everything that passes through.
struct PartReader<Iterator: AsyncIteratorProtocol>: PartSource where Iterator.Element == ByteBuffer {
    var iterator: Iterator
    let partSize: Int
    var carry: ByteBuffer?
    var hasher = SHA256()
    var finished = false
    /// Whole parts handed back after a look ahead, returned before reading on.
    var unreadParts: [ByteBuffer] = []

    init(iterator: Iterator, partSize: Int) {
        self.iterator = iterator
        self.partSize = partSize
    }

    /// Gives back parts already returned (and hashed) by `next()`.
    mutating func unread(_ parts: [ByteBuffer]) {
        unreadParts = parts + unreadParts
    }

    mutating func nextPart() async throws -> PartPayload? {
        if !unreadParts.isEmpty { return .bytes(unreadParts.removeFirst()) }
        return try await next().map { .bytes($0) }
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

    func digest() -> String? { SigV4Signer.hex(hasher.finalize()) }
}

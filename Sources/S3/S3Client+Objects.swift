import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// One object in a listing.
public struct S3Object: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var lastModified: String
    public var etag: String
}

/// What HeadObject tells about an object.
public struct S3ObjectInfo: Sendable, Equatable {
    public var size: Int64
    public var etag: String
    public var lastModified: String?
    public var contentType: String?
    /// Only asked for with `checksumMode`; multipart objects give a
    /// checksum of the part checksums with `-N` appended.
    public var checksumCRC32C: String? = nil
    /// The object's user metadata (`x-amz-meta-*`), names lowercased and without the prefix.
    public var metadata: [String: String] = [:]
}

extension S3Client {
    /// Writes a whole object in one request, with Content-MD5 so S3 (and
    /// Object Lock buckets) can check what arrived.
    @discardableResult
    public func putObject(
        bucket: String, key: String, body: ByteBuffer, contentType: String? = nil, metadata: [String: String] = [:]
    ) async throws -> String {
        try BucketName.validate(bucket)
        let md5 = body.md5
        var headers: [(name: String, value: String)] = [("content-md5", Data(md5).base64EncodedString())]
        if let contentType { headers.append(("content-type", contentType)) }
        headers += Self.metadataHeaders(metadata)
        let response = try await execute(
            Request(
                operation: .putObject, method: .PUT, bucket: bucket, key: key, headers: headers, body: RequestBody(body)
            ), validate: writeAnswerProblem)
        let etag = response.headers.first(name: "etag") ?? ""
        try verifyETag(etag, md5: md5, response: response, operation: .putObject, bucket: bucket, key: key)
        return etag
    }

    /// Reads a whole object into memory; meant for small objects (manifests, probes, tests).
    public func getObject(bucket: String, key: String) async throws -> [UInt8] {
        try BucketName.validate(bucket)
        return try await execute(Request(operation: .getObject, method: .GET, bucket: bucket, key: key)).body
    }

    /// Nil when the object does not exist.
    ///
    /// - Parameter checksumMode: also return the stored checksum; off by
    ///   default because for SSE-KMS objects it needs kms:Decrypt as well.
    public func headObject(bucket: String, key: String, checksumMode: Bool = false) async throws -> S3ObjectInfo? {
        try BucketName.validate(bucket)
        do {
            let response = try await execute(
                Request(
                    operation: .headObject, method: .HEAD, bucket: bucket, key: key,
                    headers: checksumMode ? [("x-amz-checksum-mode", "ENABLED")] : []))
            return S3ObjectInfo(
                size: Int64(response.headers.first(name: "content-length") ?? "") ?? 0,
                etag: response.headers.first(name: "etag") ?? "",
                lastModified: response.headers.first(name: "last-modified"),
                contentType: response.headers.first(name: "content-type"),
                checksumCRC32C: response.headers.first(name: "x-amz-checksum-crc32c"),
                metadata: Dictionary(
                    response.headers.compactMap { header in
                        let name = header.name.lowercased()
                        guard name.hasPrefix("x-amz-meta-") else { return nil }
                        return (String(name.dropFirst("x-amz-meta-".count)), header.value)
                    }, uniquingKeysWith: { first, _ in first }))
        } catch let error as S3Error where error.httpStatus == 404 {
            return nil
        }
    }

    public func deleteObject(bucket: String, key: String) async throws {
        try BucketName.validate(bucket)
        _ = try await execute(Request(operation: .deleteObject, method: .DELETE, bucket: bucket, key: key))
    }

    /// Every object under a prefix, following continuation tokens.
    public func listObjects(bucket: String, prefix: String, pageSize: Int = 1000) async throws -> [S3Object] {
        var result: [S3Object] = []
        var token: String?
        repeat {
            let page = try await listObjectsPage(
                bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: pageSize)
            result += page.objects
            token = page.nextToken
        } while token != nil
        return result
    }

    /// One page of ListObjectsV2.
    public func listObjectsPage(
        bucket: String, prefix: String, continuationToken: String? = nil, maxKeys: Int = 1000
    ) async throws -> (objects: [S3Object], nextToken: String?) {
        try BucketName.validate(bucket)
        var query: [(name: String, value: String)] = [
            ("list-type", "2"), ("prefix", prefix), ("max-keys", String(maxKeys)),
        ]
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        let response = try await execute(
            Request(operation: .listObjectsV2, method: .GET, bucket: bucket, query: query))
        guard let xml = S3XML.parse(response.body) else {
            throw S3Error(
                code: "MalformedResponse", message: "ListObjectsV2 returned unreadable XML",
                httpStatus: response.status, operation: .listObjectsV2, bucket: bucket)
        }
        let objects = xml.all("Contents").map {
            S3Object(
                key: $0.string("Key") ?? "", size: Int64($0.string("Size") ?? "") ?? 0,
                lastModified: $0.string("LastModified") ?? "", etag: $0.string("ETag") ?? "")
        }
        let truncated = xml.string("IsTruncated") == "true"
        return (objects, truncated ? xml.string("NextContinuationToken") : nil)
    }

    /// PutObject and UploadPart answer with the ETag of what was stored; a
    /// 2xx without one, or with an `<Error>` body, confirms nothing and is
    /// an error (retried, as S3 documents such answers as transient).
    func writeAnswerProblem(_ response: S3Response, _ request: Request) -> S3Error? {
        if let error = errorInBody(response, request) { return error }
        let etag = response.headers.first(name: "etag") ?? ""
        guard etag.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")).isEmpty else { return nil }
        return S3Error(
            code: "MissingETag", message: "S3 answered without an ETag, so the write is not confirmed",
            httpStatus: response.status, operation: request.operation, bucket: request.bucket, key: request.key,
            uploadId: request.uploadId)
    }

    /// S3 defines the ETag of a plain (non-KMS, single-part) write as the
    /// quoted MD5 of the body; anything else means the bytes were altered.
    func verifyETag(
        _ etag: String, md5: Insecure.MD5Digest, response: S3Response, operation: S3Operation, bucket: String,
        key: String, uploadId: String? = nil
    ) throws {
        if response.headers.first(name: "x-amz-server-side-encryption") == "aws:kms" { return }
        let expected = SigV4Signer.hex(md5)
        let got = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard got.lowercased() == expected else {
            throw S3Error(
                code: "BadDigest", message: "the ETag \(etag) does not match the MD5 \(expected) of what was sent",
                httpStatus: response.status, operation: operation, bucket: bucket, key: key, uploadId: uploadId)
        }
    }
}

extension S3Client {
    /// User metadata travels as `x-amz-meta-NAME` headers, signed like the others.
    static func metadataHeaders(_ metadata: [String: String]) -> [(name: String, value: String)] {
        metadata.sorted { $0.key < $1.key }.map { ("x-amz-meta-" + $0.key.lowercased(), $0.value) }
    }
}

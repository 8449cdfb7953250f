import Crypto
import Foundation
import NIOCore

/// A part S3 holds for an unfinished multipart upload.
public struct S3Part: Sendable, Equatable {
    public var partNumber: Int
    public var etag: String
    public var size: Int64
    /// Base64 CRC-32C, for uploads created with that checksum algorithm.
    public var checksumCRC32C: String?

    public init(partNumber: Int, etag: String, size: Int64, checksumCRC32C: String? = nil) {
        self.partNumber = partNumber
        self.etag = etag
        self.size = size
        self.checksumCRC32C = checksumCRC32C
    }
}

/// What ListParts tells about an open upload.
public struct S3UploadParts: Sendable {
    public var parts: [S3Part]
    /// The algorithm the upload was created with; its parts must carry that checksum.
    public var checksumAlgorithm: String?
}

extension S3Client {
    /// - Parameter checksumCRC32C: every part will carry a CRC-32C that S3
    ///   checks and keeps, as the AWS SDKs do by default; S3 then refuses
    ///   parts without one.
    public func createMultipartUpload(
        bucket: String, key: String, contentType: String? = nil, checksumCRC32C: Bool = false,
        metadata: [String: String] = [:]
    ) async throws -> String {
        try BucketName.validate(bucket)
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append(("content-type", contentType)) }
        headers += Self.metadataHeaders(metadata)
        if checksumCRC32C { headers.append(("x-amz-checksum-algorithm", "CRC32C")) }
        let response = try await execute(
            Request(
                operation: .createMultipartUpload, method: .POST, bucket: bucket, key: key,
                query: [("uploads", "")], headers: headers, body: nil))
        guard let id = S3XML.parse(response.body)?.string("UploadId"), !id.isEmpty else {
            throw S3Error(
                code: "MalformedResponse", message: "CreateMultipartUpload returned no UploadId",
                httpStatus: response.status, operation: .createMultipartUpload, bucket: bucket, key: key)
        }
        return id
    }

    /// Uploads one part with Content-MD5 and checks the returned ETag.
    public func uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int, body: ByteBuffer)
        async throws -> S3Part
    {
        try await uploadPart(
            bucket: bucket, key: key, uploadId: uploadId, partNumber: partNumber, body: RequestBody(body),
            md5: body.md5, crc32c: nil)
    }

    func uploadPart(
        bucket: String, key: String, uploadId: String, partNumber: Int, body: RequestBody, md5: Insecure.MD5Digest,
        crc32c: String?
    ) async throws -> S3Part {
        var headers = [("content-md5", Data(md5).base64EncodedString())]
        if let crc32c { headers.append(("x-amz-checksum-crc32c", crc32c)) }
        let response = try await execute(
            Request(
                operation: .uploadPart, method: .PUT, bucket: bucket, key: key,
                query: [("partNumber", String(partNumber)), ("uploadId", uploadId)],
                headers: headers, body: body, uploadId: uploadId), validate: writeAnswerProblem)
        let etag = response.headers.first(name: "etag") ?? ""
        try verifyETag(
            etag, md5: md5, response: response, operation: .uploadPart, bucket: bucket, key: key,
            uploadId: uploadId)
        if let crc32c, let echoed = response.headers.first(name: "x-amz-checksum-crc32c"), echoed != crc32c {
            throw S3Error(
                code: "BadDigest", message: "S3 kept CRC-32C \(echoed) for a part sent with \(crc32c)",
                httpStatus: response.status, operation: .uploadPart, bucket: bucket, key: key, uploadId: uploadId)
        }
        return S3Part(partNumber: partNumber, etag: etag, size: Int64(body.length), checksumCRC32C: crc32c)
    }

    /// Completes with the parts sorted by number. S3 may answer 200 and then
    /// an `<Error>` body; that is treated as a failure and retried.
    @discardableResult
    public func completeMultipartUpload(bucket: String, key: String, uploadId: String, parts: [S3Part]) async throws
        -> String
    {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\(part.etag.xmlEscaped)</ETag>"
            if let crc = part.checksumCRC32C { xml += "<ChecksumCRC32C>\(crc.xmlEscaped)</ChecksumCRC32C>" }
            xml += "</Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let request = Request(
            operation: .completeMultipartUpload, method: .POST, bucket: bucket, key: key,
            query: [("uploadId", uploadId)], headers: [("content-type", "application/xml")],
            body: RequestBody(ByteBuffer(string: xml)), uploadId: uploadId)
        let response = try await execute(request, validate: errorInBody)
        return S3XML.parse(response.body)?.string("ETag") ?? ""
    }

    /// Every part S3 holds for an upload, following the part-number marker.
    public func listParts(bucket: String, key: String, uploadId: String, pageSize: Int = 1000) async throws -> [S3Part]
    {
        try await listUploadParts(bucket: bucket, key: key, uploadId: uploadId, pageSize: pageSize).parts
    }

    public func listUploadParts(bucket: String, key: String, uploadId: String, pageSize: Int = 1000) async throws
        -> S3UploadParts
    {
        try BucketName.validate(bucket)
        var parts: [S3Part] = []
        var algorithm: String?
        var marker: String?
        repeat {
            var query: [(name: String, value: String)] = [("uploadId", uploadId), ("max-parts", String(pageSize))]
            if let marker { query.append(("part-number-marker", marker)) }
            let response = try await execute(
                Request(operation: .listParts, method: .GET, bucket: bucket, key: key, query: query, uploadId: uploadId)
            )
            guard let xml = S3XML.parse(response.body) else {
                throw S3Error(
                    code: "MalformedResponse", message: "ListParts returned unreadable XML",
                    httpStatus: response.status, operation: .listParts, bucket: bucket, key: key,
                    uploadId: uploadId)
            }
            parts += xml.all("Part").map {
                S3Part(
                    partNumber: Int($0.string("PartNumber") ?? "") ?? 0, etag: $0.string("ETag") ?? "",
                    size: Int64($0.string("Size") ?? "") ?? 0, checksumCRC32C: $0.string("ChecksumCRC32C"))
            }
            if let named = xml.string("ChecksumAlgorithm"), !named.isEmpty { algorithm = named }
            marker = xml.string("IsTruncated") == "true" ? xml.string("NextPartNumberMarker") : nil
        } while marker != nil
        return S3UploadParts(parts: parts, checksumAlgorithm: algorithm)
    }

    /// Needs s3:AbortMultipartUpload, which is not among the six; callers use
    /// it only as a courtesy and never depend on it.
    public func abortMultipartUpload(bucket: String, key: String, uploadId: String) async throws {
        try BucketName.validate(bucket)
        _ = try await execute(
            Request(
                operation: .abortMultipartUpload, method: .DELETE, bucket: bucket, key: key,
                query: [("uploadId", uploadId)], uploadId: uploadId))
    }
}

extension S3Client {
    /// Uploads still open under a prefix. Needs s3:ListBucketMultipartUploads,
    /// which is not among the six: it is for operators and tests that audit a
    /// bucket for abandoned uploads, never for the export path.
    public func listMultipartUploads(bucket: String, prefix: String) async throws -> [(key: String, uploadId: String)] {
        try BucketName.validate(bucket)
        let response = try await execute(
            Request(
                operation: .listObjectsV2, method: .GET, bucket: bucket, query: [("uploads", ""), ("prefix", prefix)]))
        return (S3XML.parse(response.body)?.all("Upload") ?? []).map {
            ($0.string("Key") ?? "", $0.string("UploadId") ?? "")
        }
    }
}

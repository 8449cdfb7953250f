import Crypto
import Foundation
import NIOCore

/// One of the six IAM permissions an S3 destination needs, as AEP documents them.
public enum S3Permission: String, Sendable, CaseIterable, Codable {
    case deleteObject = "s3:DeleteObject"
    case getBucketLocation = "s3:GetBucketLocation"
    case getObject = "s3:GetObject"
    case listBucket = "s3:ListBucket"
    case putObject = "s3:PutObject"
    case listMultipartUploadParts = "s3:ListMultipartUploadParts"
}

/// The outcome of probing each permission.
public struct PermissionReport: Sendable {
    public var results: [(permission: S3Permission, granted: Bool, detail: String?)]
    /// Probe objects that could not be removed (when DeleteObject is missing).
    public var leftovers: [String]

    public var missing: [S3Permission] { results.filter { !$0.granted }.map(\.permission) }
    public var allGranted: Bool { missing.isEmpty }

    /// Why a destination can't be saved, for one sentence after "destination
    /// not saved: ". A bucket policy that wants SSE is fixed with an option,
    /// not with IAM, so that case names the option instead of the bypass.
    public var refusal: String {
        let names = missing.map(\.rawValue).joined(separator: ", ")
        if results.contains(where: { !$0.granted && $0.detail == S3Client.sseRequiredDetail }) {
            return
                "missing \(names): the bucket policy refuses unencrypted uploads; create the destination with --sse aes256 (or --sse aws:kms)"
        }
        return "missing \(names) (use --skip-validation to save anyway)"
    }
}

extension S3Client {
    /// Tells which of the six permissions the credentials have, using no
    /// permission outside them and creating nothing wherever S3 behaves as
    /// documented: S3 authorizes a request before it looks at its body or at
    /// whether the key or upload exists, so each probe is a request that is
    /// refused when the permission is missing and fails harmlessly otherwise.
    ///
    /// - DeleteObject: a DELETE of a key that does not exist, with
    ///   `If-Match: *` so a versioned bucket gets no delete marker (NoSuchKey);
    ///   servers without conditional deletes answer 204.
    /// - GetObject: a GET of a key that does not exist (NoSuchKey). Without
    ///   s3:ListBucket S3 answers 403 for a missing key either way; then a
    ///   real probe object is written, read and deleted, but only when writing
    ///   and deleting are both allowed, so it cannot stay behind.
    /// - PutObject: a PUT whose Content-MD5 does not match its body
    ///   (BadDigest). When reading is allowed, or the probe could not be
    ///   deleted, it may also only replace an object that does not exist
    ///   (If-Match: NoSuchKey), for servers that skip the MD5 check; one that
    ///   checks neither and stores it gets the object deleted again, or named
    ///   in `leftovers`.
    /// - ListMultipartUploadParts: ListParts of an upload that does not exist.
    ///
    /// Credential failures (unknown key, wrong secret) and a missing bucket
    /// are thrown, since no permission can be judged then.
    public func checkPermissions(bucket: String, prefix: String) async throws -> PermissionReport {
        try BucketName.validate(bucket)
        var granted: [S3Permission: (Bool, String?)] = [:]
        var leftovers: [String] = []
        let base = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        let probe = "\(base).ferry-check-\(UUID().uuidString.lowercased())"

        /// Runs one probe. `allowedCodes` are the refusals that come after
        /// authorization and so mean the permission is there; a denial means
        /// it is missing; credential errors and a missing bucket are thrown.
        func attempt(_ permission: S3Permission, allowedCodes: Set<String> = [], _ body: () async throws -> Void)
            async throws
        {
            do {
                try await body()
                granted[permission] = (true, nil)
            } catch let error as S3Error where allowedCodes.contains(error.code) {
                granted[permission] = (true, nil)
            } catch let error as S3Error where error.isAccessDenied {
                granted[permission] = (false, error.message.isEmpty ? nil : error.message)
            }
        }

        try await attempt(.getBucketLocation) { _ = try await getBucketLocation(bucket: bucket) }
        try await attempt(.listBucket) { _ = try await listObjectsPage(bucket: bucket, prefix: probe, maxKeys: 1) }
        try await attempt(.deleteObject, allowedCodes: ["NoSuchKey", "PreconditionFailed"]) {
            do {
                _ = try await execute(
                    Request(
                        operation: .deleteObject, method: .DELETE, bucket: bucket, key: probe,
                        headers: [("if-match", "*")]))
            } catch let error as S3Error
                where ["NotImplemented", "InvalidArgument", "InvalidRequest"].contains(error.code)
            {
                // A server that refuses the condition itself gets a plain delete of the absent key.
                try await deleteObject(bucket: bucket, key: probe)
            }
        }
        let canDelete = granted[.deleteObject]?.0 == true
        try await attempt(.getObject, allowedCodes: ["NoSuchKey"]) {
            _ = try await getObject(bucket: bucket, key: probe)
        }
        let canRead = granted[.getObject]?.0 == true

        var stored = false
        try await attempt(.putObject, allowedCodes: ["BadDigest", "InvalidDigest", "NoSuchKey", "PreconditionFailed"]) {
            let body = ByteBuffer(string: "ferry permission probe\n")
            // The MD5 of other bytes, so S3 refuses to store this body.
            let wrongMD5 = Data(Insecure.MD5.hash(data: Data("not the probe body".utf8))).base64EncodedString()
            var headers: [(name: String, value: String)] = [("content-md5", wrongMD5)]
            // A conditional write may need s3:GetObject as a conditional
            // delete does, so it is added only where that cannot make a
            // granted PutObject look denied, or where a stored probe would stay.
            if canRead || !canDelete { headers.append(("if-match", "\"\(SigV4Signer.hex(body.md5))\"")) }
            _ = try await execute(
                Request(
                    operation: .putObject, method: .PUT, bucket: bucket, key: probe, headers: headers,
                    body: RequestBody(body)))
            stored = true
        }
        if granted[.putObject]?.0 == false, configuration.serverSideEncryption == nil {
            // A bucket policy that denies uploads without SSE refuses the
            // probe for that reason alone; the same probe with SSE-S3 tells.
            let body = ByteBuffer(string: "ferry permission probe\n")
            let wrongMD5 = Data(Insecure.MD5.hash(data: Data("not the probe body".utf8))).base64EncodedString()
            do {
                _ = try await execute(
                    Request(
                        operation: .putObject, method: .PUT, bucket: bucket, key: probe,
                        headers: [("content-md5", wrongMD5)] + ServerSideEncryption.aes256.headers,
                        body: RequestBody(body)))
                stored = true
                granted[.putObject] = (false, Self.sseRequiredDetail)
            } catch let error as S3Error where ["BadDigest", "InvalidDigest"].contains(error.code) {
                granted[.putObject] = (false, Self.sseRequiredDetail)
            } catch let error as S3Error where error.isAccessDenied {}
        }
        if stored {
            if canDelete, (try? await deleteObject(bucket: bucket, key: probe)) != nil {
                stored = false
            } else {
                leftovers.append(probe)
            }
        }

        if !canRead, granted[.listBucket]?.0 == false, granted[.putObject]?.0 == true, canDelete {
            let key = probe + ".read"
            _ = try await putObject(bucket: bucket, key: key, body: ByteBuffer(string: "ferry permission probe\n"))
            do {
                try await attempt(.getObject) { _ = try await getObject(bucket: bucket, key: key) }
                try await deleteObject(bucket: bucket, key: key)
            } catch {
                if (try? await deleteObject(bucket: bucket, key: key)) == nil { leftovers.append(key) }
                throw error
            }
        } else if !canRead, granted[.listBucket]?.0 == false {
            granted[.getObject] = (
                false,
                "not confirmed: without s3:ListBucket S3 refuses a read of a missing key either way, and no probe object could be written and removed"
            )
        }

        try await attempt(.listMultipartUploadParts, allowedCodes: ["NoSuchUpload"]) {
            _ = try await listParts(bucket: bucket, key: probe, uploadId: "ferry-probe-none")
        }

        let results = S3Permission.allCases.map { permission in
            let (ok, detail) = granted[permission] ?? (false, "not tested")
            return (permission: permission, granted: ok, detail: detail)
        }
        return PermissionReport(results: results, leftovers: leftovers)
    }
}

extension S3Client {
    /// Why s3:PutObject was refused when the refusal is only for want of SSE.
    public static let sseRequiredDetail =
        "granted only with server-side encryption: the bucket policy refuses unencrypted uploads; create the destination with --sse aes256 (or --sse aws:kms)"
}

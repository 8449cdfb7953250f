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
}

extension S3Client {
    /// Exercises each of the six permissions with probe objects under `prefix`
    /// and cleans up after itself, using no permission outside the six.
    ///
    /// Credential failures (unknown key, wrong secret) and a missing bucket
    /// are thrown, since no permission can be judged then.
    public func checkPermissions(bucket: String, prefix: String) async throws -> PermissionReport {
        try BucketName.validate(bucket)
        var granted: [S3Permission: (Bool, String?)] = [:]
        var leftovers: [String] = []
        let base = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        let probe = "\(base).ferry-check-\(UUID().uuidString.lowercased())"

        /// Runs one probe: denied means missing, other S3 errors are thrown as they are.
        func attempt(_ permission: S3Permission, _ body: () async throws -> Void) async throws {
            do {
                try await body()
                if granted[permission] == nil { granted[permission] = (true, nil) }
            } catch let error as S3Error where error.isAccessDenied {
                granted[permission] = (false, error.message.isEmpty ? nil : error.message)
            } catch let error as S3Error where error.isCredentialError || error.code == "NoSuchBucket" {
                throw error
            }
        }

        try await attempt(.getBucketLocation) { _ = try await getBucketLocation(bucket: bucket) }
        var putWorked = false
        try await attempt(.putObject) {
            try await putObject(bucket: bucket, key: probe, body: ByteBuffer(string: "ferry permission probe\n"))
            putWorked = true
        }
        try await attempt(.getObject) {
            do {
                _ = try await getObject(bucket: bucket, key: putWorked ? probe : probe + ".absent")
            } catch let error as S3Error where error.code == "NoSuchKey" {
                // Reaching "no such key" means the read itself was allowed.
            }
        }
        try await attempt(.listBucket) { _ = try await listObjectsPage(bucket: bucket, prefix: probe, maxKeys: 1) }

        // The multipart path needs s3:PutObject to start; ListParts on an
        // upload that does not exist still tells allowed (NoSuchUpload) from denied.
        let multipartKey = probe + ".multipart"
        var uploadId: String?
        if putWorked {
            try await attempt(.putObject) {
                uploadId = try await createMultipartUpload(bucket: bucket, key: multipartKey)
            }
        }
        try await attempt(.listMultipartUploadParts) {
            do {
                _ = try await listParts(bucket: bucket, key: multipartKey, uploadId: uploadId ?? "ferry-probe-none")
            } catch let error as S3Error where error.code == "NoSuchUpload" || error.httpStatus == 404 {
            }
        }
        if let uploadId {
            try await attempt(.putObject) {
                let part = try await uploadPart(
                    bucket: bucket, key: multipartKey, uploadId: uploadId, partNumber: 1,
                    body: ByteBuffer(string: "ferry multipart probe\n"))
                try await completeMultipartUpload(bucket: bucket, key: multipartKey, uploadId: uploadId, parts: [part])
            }
        }

        try await attempt(.deleteObject) {
            do {
                try await deleteObject(bucket: bucket, key: putWorked ? probe : probe + ".absent")
            } catch let error as S3Error where error.code == "NoSuchKey" {
            }
        }
        if putWorked {
            if granted[.deleteObject]?.0 == true {
                _ = try? await deleteObject(bucket: bucket, key: multipartKey)
                // A failed Complete leaves an open upload; aborting needs a
                // permission outside the six, so it is tried and never required.
            } else {
                leftovers = [probe, multipartKey]
            }
        }
        let results = S3Permission.allCases.map { permission in
            let (ok, detail) = granted[permission] ?? (false, "not tested")
            return (permission: permission, granted: ok, detail: detail)
        }
        return PermissionReport(results: results, leftovers: leftovers)
    }
}

/// Bucket naming rules, checked before any request so a typo gets a precise
/// answer instead of an opaque signature or DNS failure.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
public enum BucketName {
    /// Throws with the first rule the name breaks.
    public static func validate(_ name: String) throws(S3ConfigurationError) {
        func fail(_ rule: String) -> S3ConfigurationError { .invalidBucketName(name: name, rule: rule) }
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { throw fail("must be 3 to 63 characters long") }
        let allowed = bytes.allSatisfy { b in
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
        }
        guard allowed else { throw fail("may contain only lowercase letters, digits, '.' and '-'") }
        func alnum(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
        }
        guard alnum(bytes.first!), alnum(bytes.last!) else {
            throw fail("must begin and end with a lowercase letter or digit")
        }
        guard !name.contains("..") else { throw fail("must not contain two adjacent periods") }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ p in !p.isEmpty && p.allSatisfy(\.isNumber) && Int(p)! <= 255 }) {
            throw fail("must not be formatted as an IP address")
        }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(prefix) {
            throw fail("must not start with '\(prefix)'")
        }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where name.hasSuffix(suffix) {
            throw fail("must not end with '\(suffix)'")
        }
    }

    /// Dotted names break TLS wildcard certificates in virtual-hosted style.
    public static func needsPathStyle(_ name: String) -> Bool { name.contains(".") }
}

/// `s3://bucket/prefix`, as the aws CLI spells locations.
public struct S3URI: Sendable, Equatable {
    public var bucket: String
    public var key: String

    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    public init(parsing text: String) throws(S3ConfigurationError) {
        guard text.hasPrefix("s3://") else { throw .invalidURI(text) }
        let rest = text.dropFirst(5)
        let bucketPart = rest.prefix { $0 != "/" }
        guard !bucketPart.isEmpty else { throw .invalidURI(text) }
        bucket = String(bucketPart)
        key = String(rest.dropFirst(bucketPart.count + (rest.count > bucketPart.count ? 1 : 0)))
        try BucketName.validate(bucket)
    }
}

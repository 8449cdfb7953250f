import Crypto
import Foundation

/// AWS Signature Version 4 for S3, as a pure value: a request description
/// and a date in, headers or a presigned query out. No I/O, no clock.
///
/// S3 differs from other services in one way that matters: the path is
/// URI-encoded once and never normalised, so `a//b/./c` is signed as written.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// What the signer needs to know of a request.
    public struct Request: Sendable {
        public var method: String
        /// The path exactly as it goes on the wire, already URI-encoded once.
        public var encodedPath: String
        /// Query parameters, not yet encoded.
        public var query: [(name: String, value: String)]
        /// Headers to sign, `host` included.
        public var headers: [(name: String, value: String)]
        public var payloadHash: String

        public init(
            method: String, encodedPath: String, query: [(name: String, value: String)] = [],
            headers: [(name: String, value: String)], payloadHash: String
        ) {
            self.method = method
            self.encodedPath = encodedPath
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// The intermediate values, kept so tests can compare each step with the
    /// published vectors rather than only the final signature.
    public struct Signature: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        public var signedHeaders: String
        public var authorization: String
        /// Headers the caller must add to the request.
        public var headersToAdd: [(name: String, value: String)]
    }

    /// Signs with an `Authorization` header. `x-amz-date`, `x-amz-content-sha256`
    /// and the session token are added to the signed headers when absent.
    public func sign(_ request: Request, date: Date) -> Signature {
        let stamp = AmzDate(date)
        var headers = request.headers
        var added: [(name: String, value: String)] = []
        func addIfMissing(_ name: String, _ value: String) {
            if !headers.contains(where: { $0.name.lowercased() == name }) {
                headers.append((name, value))
                added.append((name, value))
            }
        }
        addIfMissing("x-amz-date", stamp.dateTime)
        if service == "s3" { addIfMissing("x-amz-content-sha256", request.payloadHash) }
        if let token = credentials.sessionToken { addIfMissing("x-amz-security-token", token) }

        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers)
        let creq = Self.canonicalRequest(
            method: request.method, encodedPath: request.encodedPath,
            canonicalQuery: Self.canonicalQuery(request.query),
            canonicalHeaders: canonicalHeaders, signedHeaders: signedHeaders,
            payloadHash: request.payloadHash)
        let scope = credentialScope(stamp)
        let sts = Self.stringToSign(dateTime: stamp.dateTime, scope: scope, canonicalRequest: creq)
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(sts.utf8), using: signingKey(stamp)))
        let authorization =
            "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        added.append(("authorization", authorization))
        return Signature(
            canonicalRequest: creq, stringToSign: sts, signature: signature,
            signedHeaders: signedHeaders, authorization: authorization, headersToAdd: added)
    }

    /// A presigned URL's query, for handing a download link to a tool that
    /// holds no credentials. The payload is always unsigned in a presigned URL.
    public func presignedQuery(_ request: Request, date: Date, expires: Int) -> (query: String, signature: String) {
        let stamp = AmzDate(date)
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(request.headers)
        var query = request.query
        query.append(("X-Amz-Algorithm", Self.algorithm))
        query.append(("X-Amz-Credential", "\(credentials.accessKeyId)/\(credentialScope(stamp))"))
        query.append(("X-Amz-Date", stamp.dateTime))
        query.append(("X-Amz-Expires", String(expires)))
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        query.append(("X-Amz-SignedHeaders", signedHeaders))
        let creq = Self.canonicalRequest(
            method: request.method, encodedPath: request.encodedPath, canonicalQuery: Self.canonicalQuery(query),
            canonicalHeaders: canonicalHeaders, signedHeaders: signedHeaders, payloadHash: Self.unsignedPayload)
        let sts = Self.stringToSign(dateTime: stamp.dateTime, scope: credentialScope(stamp), canonicalRequest: creq)
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(sts.utf8), using: signingKey(stamp)))
        query.append(("X-Amz-Signature", signature))
        return (Self.canonicalQuery(query), signature)
    }

    // MARK: aws-chunked
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html

    /// The signature of one chunk of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`
    /// body; each chunk chains on the previous chunk's signature.
    public func chunkSignature(chunk: some DataProtocol, previousSignature: String, date: Date) -> String {
        let stamp = AmzDate(date)
        let sts = [
            "AWS4-HMAC-SHA256-PAYLOAD", stamp.dateTime, credentialScope(stamp), previousSignature,
            Self.emptyPayloadHash, Self.sha256Hex(chunk),
        ].joined(separator: "\n")
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(sts.utf8), using: signingKey(stamp)))
    }

    // MARK: The steps of the algorithm

    func credentialScope(_ stamp: AmzDate) -> String {
        "\(stamp.date)/\(region)/\(service)/aws4_request"
    }

    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key
    func signingKey(_ stamp: AmzDate) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
        }
        let kDate = hmac(SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8)), stamp.date)
        return hmac(hmac(hmac(kDate, region), service), "aws4_request")
    }

    /// Hex of the signing key, for comparing with the S3 documentation's example.
    public func signingKeyHex(date: Date) -> String {
        signingKey(AmzDate(date)).withUnsafeBytes { Self.hex($0) }
    }

    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request
    static func canonicalRequest(
        method: String, encodedPath: String, canonicalQuery: String,
        canonicalHeaders: String, signedHeaders: String, payloadHash: String
    ) -> String {
        [method, encodedPath.isEmpty ? "/" : encodedPath, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
    }

    /// Encodes names and values, then sorts by name and value, byte-wise.
    public static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        query
            .map { (uriEncode($0.name, keepSlash: false), uriEncode($0.value, keepSlash: false)) }
            .sorted { lhs, rhs in
                lhs.0 == rhs.0
                    ? Array(lhs.1.utf8).lexicographicallyPrecedes(rhs.1.utf8)
                    : Array(lhs.0.utf8).lexicographicallyPrecedes(rhs.0.utf8)
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Lowercases names, trims values and folds inner runs of spaces; repeated
    /// headers are joined with commas in the order they came.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (canonical: String, signed: String) {
        var merged: [String: [String]] = [:]
        var order: [String] = []
        for (name, value) in headers {
            let key = name.lowercased()
            if merged[key] == nil { order.append(key) }
            merged[key, default: []].append(foldSpaces(value))
        }
        let names = order.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
        let canonical = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    static func foldSpaces(_ value: String) -> String {
        var out = ""
        var pendingSpace = false
        for ch in value.trimmingCharacters(in: .whitespaces) {
            if ch == " " {
                pendingSpace = true
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(ch)
            }
        }
        return out
    }

    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-string-to-sign
    static func stringToSign(dateTime: String, scope: String, canonicalRequest: String) -> String {
        [algorithm, dateTime, scope, sha256Hex(Data(canonicalRequest.utf8))].joined(separator: "\n")
    }

    // MARK: Encoding helpers

    /// RFC 3986 encoding as AWS defines it: only `A-Z a-z 0-9 - . _ ~` stay,
    /// and `/` too in paths. Space is `%20`, never `+`.
    public static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        let hexDigits = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func sha256Hex(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// `yyyyMMdd'T'HHmmss'Z'` and `yyyyMMdd` in UTC, computed without a
/// DateFormatter so signing stays pure and cheap on every request.
struct AmzDate: Sendable {
    let dateTime: String
    let date: String

    init(_ value: Date) {
        let seconds = Int64(value.timeIntervalSince1970.rounded(.down))
        let c = CivilTime(unixSeconds: seconds)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        date = pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2)
        dateTime = date + "T" + pad(c.hour, 2) + pad(c.minute, 2) + pad(c.second, 2) + "Z"
    }
}

/// Calendar fields of a Unix time in UTC (Howard Hinnant's days-from-civil inverse).
public struct CivilTime: Sendable, Equatable {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    public init(unixSeconds: Int64) {
        let days = Int(unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400)
        let secs = Int(unixSeconds - Int64(days) * 86_400)
        hour = secs / 3600
        minute = secs % 3600 / 60
        second = secs % 60
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }
}

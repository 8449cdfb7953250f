import Foundation
import Testing

@testable import S3

/// The signer against published vectors: botocore's copy of the AWS SigV4
/// suite, the S3 API reference examples and the aws-chunked example.
@Suite struct SigV4SignerTests {
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z

    static var vectors: URL { Bundle.module.url(forResource: "Vectors", withExtension: nil)! }

    static var suiteCases: [String] {
        let dir = vectors.appendingPathComponent("aws4_testsuite")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.first?.isLowercase == true && !$0.contains(".") && !$0.contains("normalize-path") }
            .sorted()
    }

    @Test func suiteIsPresent() {
        #expect(Self.suiteCases.count >= 25)
        #expect(Self.suiteCases.contains("get-vanilla"))
    }

    @Test(arguments: suiteCases)
    func awsSuite(_ name: String) throws {
        let dir = Self.vectors.appendingPathComponent("aws4_testsuite/\(name)")
        func read(_ ext: String) throws -> String {
            try String(contentsOf: dir.appendingPathComponent("\(name).\(ext)"), encoding: .utf8)
        }
        let request = try SuiteRequest(parsing: try read("req"))
        let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
        // In "header-after" the token is added after signing, so it is not signed.
        let signsToken = name == "get-vanilla-with-session-token" || name == "post-sts-header-before"
        let signer = SigV4Signer(
            credentials: AWSCredentials(
                accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                sessionToken: signsToken ? token : nil),
            region: "us-east-1", service: "service")
        let signature = signer.sign(
            .init(
                method: request.method, encodedPath: SigV4Signer.uriEncode(request.path, keepSlash: true),
                query: request.query, headers: request.headers,
                payloadHash: SigV4Signer.sha256Hex(Data(request.body.utf8))),
            date: Self.suiteDate)
        #expect(signature.canonicalRequest == (try read("creq")))
        #expect(signature.stringToSign == (try read("sts")))
        #expect(signature.authorization == (try read("authz")))
    }

    @Test func knownSignaturesFromTheSpec() throws {
        let dir = Self.vectors.appendingPathComponent("aws4_testsuite")
        let expected = [
            "get-vanilla": "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            "post-x-www-form-urlencoded": "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            "get-vanilla-with-session-token": "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
        ]
        for (name, sig) in expected {
            let authz = try String(contentsOf: dir.appendingPathComponent("\(name)/\(name).authz"), encoding: .utf8)
            #expect(authz.hasSuffix("Signature=\(sig)"))
        }
    }

    struct S3Example: Decodable {
        var name: String
        var method: String
        var path: String
        var query: [[String]]
        var headers: [[String]]
        var payloadHash: String
        var canonicalRequest: String?
        var stringToSign: String?
        var signature: String
        var presigned: Bool?
        var expires: Int?
    }

    static var s3Examples: [S3Example] {
        let data = try! Data(contentsOf: vectors.appendingPathComponent("s3-examples.json"))
        return try! JSONDecoder().decode([S3Example].self, from: data)
    }

    static let exampleSigner = SigV4Signer(
        credentials: AWSCredentials(
            accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1")

    @Test func s3SigningKey() {
        #expect(
            Self.exampleSigner.signingKeyHex(date: Self.s3Date)
                == "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378")
    }

    @Test(arguments: s3Examples.map(\.name))
    func s3ApiReference(_ name: String) {
        let example = Self.s3Examples.first { $0.name == name }!
        let request = SigV4Signer.Request(
            method: example.method, encodedPath: SigV4Signer.uriEncode(example.path, keepSlash: true),
            query: example.query.map { ($0[0], $0[1]) }, headers: example.headers.map { ($0[0], $0[1]) },
            payloadHash: example.payloadHash)
        if example.presigned == true {
            let result = Self.exampleSigner.presignedQuery(request, date: Self.s3Date, expires: example.expires ?? 0)
            #expect(result.signature == example.signature)
        } else {
            let signature = Self.exampleSigner.sign(request, date: Self.s3Date)
            if let creq = example.canonicalRequest { #expect(signature.canonicalRequest == creq) }
            if let sts = example.stringToSign { #expect(signature.stringToSign == sts) }
            #expect(signature.signature == example.signature)
        }
    }

    struct ChunkedExample: Decodable {
        struct Chunk: Decodable {
            var size: Int
            var signature: String
        }
        var path: String
        var headers: [[String]]
        var payloadHash: String
        var seedSignature: String
        var chunks: [Chunk]
    }

    @Test func awsChunkedSeedAndChunks() throws {
        let data = try Data(contentsOf: Self.vectors.appendingPathComponent("aws-chunked.json"))
        let example = try JSONDecoder().decode(ChunkedExample.self, from: data)
        let seed = Self.exampleSigner.sign(
            .init(
                method: "PUT", encodedPath: example.path, headers: example.headers.map { ($0[0], $0[1]) },
                payloadHash: example.payloadHash),
            date: Self.s3Date)
        #expect(seed.signature == example.seedSignature)
        var previous = seed.signature
        for chunk in example.chunks {
            let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: chunk.size)
            let signature = Self.exampleSigner.chunkSignature(
                chunk: bytes, previousSignature: previous, date: Self.s3Date)
            #expect(signature == chunk.signature)
            previous = signature
        }
    }

    /// S3 keys are encoded once and never normalised.
    @Test(arguments: [
        ("a b.txt", "/a%20b.txt"),
        ("price$5+tax%.csv", "/price%245%2Btax%25.csv"),
        ("dir//x/./y/../z", "/dir//x/./y/../z"),
        ("한글/ü.csv", "/%ED%95%9C%EA%B8%80/%C3%BC.csv"),
        ("~tilde_-.", "/~tilde_-."),
    ])
    func keysAreEncodedOnce(key: String, encoded: String) {
        #expect(SigV4Signer.uriEncode("/" + key, keepSlash: true) == encoded)
        let signature = Self.exampleSigner.sign(
            .init(
                method: "GET", encodedPath: encoded, headers: [("host", "b.s3.amazonaws.com")],
                payloadHash: SigV4Signer.emptyPayloadHash),
            date: Self.s3Date)
        #expect(signature.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[1] == encoded)
    }

    @Test func queryEncodesSlashAndSortsKeysWithoutValues() {
        #expect(
            SigV4Signer.canonicalQuery([("prefix", "a/b c"), ("uploads", ""), ("list-type", "2")])
                == "list-type=2&prefix=a%2Fb%20c&uploads=")
    }

    @Test func credentialsNeverPrintTheSecret() {
        let credentials = AWSCredentials(
            accessKeyId: "AKIDEXAMPLE", secretAccessKey: "s3cr3t/value", sessionToken: "tok3n")
        for text in [String(describing: credentials), String(reflecting: credentials), "\(credentials)"] {
            #expect(!text.contains("s3cr3t"))
            #expect(!text.contains("tok3n"))
        }
    }

    @Test func civilTimeMatchesFoundation() {
        for seconds: Int64 in [0, 951_782_400, 1_440_938_160, 4_102_444_800, -86_401] {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let parts = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(seconds))
            )
            let civil = CivilTime(unixSeconds: seconds)
            let ours: [Int] = [civil.year, civil.month, civil.day, civil.hour, civil.minute, civil.second]
            let foundation: [Int] = [parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!]
            #expect(ours == foundation)
        }
    }
}

/// A request in the test suite's `.req` format.
struct SuiteRequest {
    var method: String
    var path: String
    var query: [(name: String, value: String)]
    var headers: [(name: String, value: String)]
    var body: String

    init(parsing text: String) throws {
        let sections = text.components(separatedBy: "\n\n")
        var lines = sections[0].components(separatedBy: "\n")
        body = sections.dropFirst().joined(separator: "\n\n")
        let requestLine = lines.removeFirst()
        let firstSpace = requestLine.firstIndex(of: " ")!
        let lastSpace = requestLine.range(of: " HTTP/", options: .backwards)!.lowerBound
        method = String(requestLine[..<firstSpace])
        let target = String(requestLine[requestLine.index(after: firstSpace)..<lastSpace])
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        query =
            parts.count > 1
            ? parts[1].split(separator: "&").map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (
                    String(kv[0]).removingPercentEncoding!, kv.count > 1 ? String(kv[1]).removingPercentEncoding! : ""
                )
            } : []
        headers = []
        for line in lines where !line.isEmpty {
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                // A folded continuation line joins the previous value with one space.
                headers[headers.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
                continue
            }
            let colon = line.firstIndex(of: ":")!
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
    }
}

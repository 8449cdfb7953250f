import Foundation
import Testing

@testable import S3

/// AssumeRole requests and answers without a network: the signature is
/// checked against botocore's SigV4Auth for service `sts` on the same
/// request, date and keys (see the comment on each vector).
@Suite struct STSClientTests {
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
    static let keys = AWSCredentials(
        accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    static func request() throws -> AssumeRoleRequest {
        try AssumeRoleRequest(
            roleArn: "arn:aws:iam::123456789012:role/ferry-export", externalId: "ext-123", durationSeconds: 900)
    }

    @Test func formBodyIsTheQueryAPI() throws {
        #expect(
            try Self.request().formBody
                == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fferry-export&RoleSessionName=ferry&DurationSeconds=900&ExternalId=ext-123"
        )
    }

    /// botocore: `SigV4Auth(Credentials(keys), "sts", "us-east-1").add_auth(AWSRequest("POST",
    /// "https://sts.us-east-1.amazonaws.com/", body, Content-Type form))` at 2015-08-30T12:36:00Z.
    @Test func signatureMatchesBotocore() throws {
        let signed = STSClient().signedRequest(try Self.request(), credentials: Self.keys, date: Self.date)
        #expect(signed.url == "https://sts.us-east-1.amazonaws.com/")
        let authorization = signed.headers.first { $0.name == "authorization" }?.value
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=82b12a37bf31140628cb4f9b3b928679213623f478b2401cba27dd4bf75221cd"
        )
        // S3's payload header is not part of other services' signatures.
        #expect(!signed.headers.contains { $0.name == "x-amz-content-sha256" })
    }

    @Test func baseSessionTokenIsSigned() throws {
        var keys = Self.keys
        keys.sessionToken = "FQoGZXIvYXdzEXAMPLETOKEN"
        let signed = STSClient().signedRequest(try Self.request(), credentials: keys, date: Self.date)
        #expect(signed.headers.contains { $0.name == "x-amz-security-token" && $0.value == "FQoGZXIvYXdzEXAMPLETOKEN" })
        #expect(
            signed.headers.first { $0.name == "authorization" }?.value.hasSuffix(
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=b2e077d00773b1b58701e5b83ff7da5e97d90ce0481ce0033bd0b26d7daed6a5"
            ) == true)
    }

    @Test func customEndpointKeepsItsPort() throws {
        let client = STSClient(endpoint: URL(string: "http://127.0.0.1:5000")!)
        let signed = client.signedRequest(try Self.request(), credentials: Self.keys, date: Self.date)
        #expect(signed.url == "http://127.0.0.1:5000/")
        #expect(signed.headers.contains { $0.name == "host" && $0.value == "127.0.0.1:5000" })
    }

    @Test func credentialsAreReadFromTheAnswer() throws {
        let xml = """
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleResult>
                <AssumedRoleUser>
                  <Arn>arn:aws:sts::123456789012:assumed-role/ferry-export/ferry</Arn>
                  <AssumedRoleId>ARO123EXAMPLE123:ferry</AssumedRoleId>
                </AssumedRoleUser>
                <Credentials>
                  <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
                  <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
                  <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764</SessionToken>
                  <Expiration>2019-11-09T13:34:41Z</Expiration>
                </Credentials>
                <PackedPolicySize>6</PackedPolicySize>
              </AssumeRoleResult>
              <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
            </AssumeRoleResponse>
            """
        let result = try STSClient.parseCredentials(
            Array(xml.utf8), roleArn: "arn:aws:iam::123456789012:role/ferry-export")
        #expect(result.credentials.accessKeyId == "ASIAIOSFODNN7EXAMPLE")
        #expect(result.credentials.sessionToken == "AQoDYXdzEPT//////////wEXAMPLEtc764")
        #expect(result.expiration == Date(timeIntervalSince1970: 1_573_306_481))
        #expect(result.assumedRoleArn == "arn:aws:sts::123456789012:assumed-role/ferry-export/ferry")
        // Neither the secret nor the token is ever printed.
        #expect(!"\(result)".contains("wJalr"))
        #expect(!"\(result)".contains("AQoDYXdz"))
    }

    @Test func fractionalExpirationIsRead() {
        #expect(STSClient.parseDate("2026-12-01T18:29:43.788Z") != nil)
        #expect(STSClient.parseDate("2026-12-01T18:29:43Z") != nil)
        #expect(STSClient.parseDate("tomorrow") == nil)
    }

    @Test func incompleteAnswerIsAnError() {
        let xml =
            "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId></Credentials></AssumeRoleResult></AssumeRoleResponse>"
        #expect(throws: STSError.self) { try STSClient.parseCredentials(Array(xml.utf8), roleArn: "r") }
    }

    @Test func accessDeniedNamesTheRoleAndTheTrustPolicy() {
        let xml = """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error><Type>Sender</Type><Code>AccessDenied</Code>
              <Message>User: arn:aws:iam::123456789012:user/ferry is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/ferry-export</Message></Error>
              <RequestId>4f0e5f4e</RequestId>
            </ErrorResponse>
            """
        let error = STSClient.parseError(
            Array(xml.utf8), status: 403, roleArn: "arn:aws:iam::123456789012:role/ferry-export", externalIdGiven: true)
        #expect(error.code == "AccessDenied")
        #expect(error.requestId == "4f0e5f4e")
        let text = error.description
        #expect(text.contains("arn:aws:iam::123456789012:role/ferry-export"))
        #expect(text.contains("trust policy"))
        #expect(text.contains("sts:ExternalId"))
    }

    @Test(arguments: [
        "arn:aws:iam::123456789012:user/ferry", "role/ferry", "arn:aws:iam::12345:role/x", "arn:aws:s3:::bucket",
        "arn:aws:iam::123456789012:role/",
    ])
    func badRoleArnsAreRefused(arn: String) {
        #expect(throws: S3ConfigurationError.self) { try AssumeRoleRequest(roleArn: arn) }
    }

    @Test func parameterLimitsAreChecked() {
        let arn = "arn:aws:iam::123456789012:role/ferry-export"
        #expect(throws: S3ConfigurationError.self) { try AssumeRoleRequest(roleArn: arn, externalId: "x") }
        #expect(throws: S3ConfigurationError.self) { try AssumeRoleRequest(roleArn: arn, externalId: "has space") }
        #expect(throws: S3ConfigurationError.self) { try AssumeRoleRequest(roleArn: arn, sessionName: "a/b") }
        #expect(throws: S3ConfigurationError.self) { try AssumeRoleRequest(roleArn: arn, durationSeconds: 899) }
        #expect((try? AssumeRoleRequest(roleArn: "arn:aws-cn:iam::123456789012:role/path/name")) != nil)
    }

    @Test func sseHeaders() throws {
        #expect(ServerSideEncryption.aes256.headers.map(\.value) == ["AES256"])
        let kms = try ServerSideEncryption(mode: .kms, kmsKeyId: "alias/ferry")
        #expect(
            kms.headers.map(\.name) == ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"])
        #expect(kms.headers.map(\.value) == ["aws:kms", "alias/ferry"])
        #expect(try ServerSideEncryption(mode: .kms, kmsKeyId: nil).headers.count == 1)
        #expect(throws: S3ConfigurationError.self) { try ServerSideEncryption(mode: .aes256, kmsKeyId: "k") }
        #expect(throws: S3ConfigurationError.self) { try ServerSideEncryption(mode: .kms, kmsKeyId: "") }
    }
}

/// The refreshing provider against a clock the test moves.
@Suite struct AssumedRoleRefreshTests {
    @Test func refreshIsDueAtTheMargin() async throws {
        let issued = Date(timeIntervalSince1970: 1_000_000)
        let provider = AssumedRoleCredentials(
            request: try AssumeRoleRequest(roleArn: "arn:aws:iam::123456789012:role/r", durationSeconds: 900),
            sts: STSClient(), base: { throw S3ConfigurationError.missingCredentials("unused") },
            refreshMargin: .seconds(300), now: { issued })
        let credentials = TemporaryCredentials(
            credentials: AWSCredentials(accessKeyId: "A", secretAccessKey: "S", sessionToken: "T"),
            expiration: issued.addingTimeInterval(900))
        #expect(await !provider.isDue(credentials))
        let late = AssumedRoleCredentials(
            request: try AssumeRoleRequest(roleArn: "arn:aws:iam::123456789012:role/r", durationSeconds: 900),
            sts: STSClient(), base: { throw S3ConfigurationError.missingCredentials("unused") },
            refreshMargin: .seconds(300), now: { issued.addingTimeInterval(600) })
        #expect(await late.isDue(credentials))
    }

    @Test func missingBaseCredentialsAreReported() async throws {
        let provider = AssumedRoleCredentials(
            request: try AssumeRoleRequest(roleArn: "arn:aws:iam::123456789012:role/r"), sts: STSClient(),
            base: { throw S3ConfigurationError.missingCredentials("no credentials found") })
        await #expect(throws: S3ConfigurationError.self) { try await provider.credentials() }
    }
}

import ArgumentParser
import Foundation
import S3

/// Where S3 is, shared by every command that talks to it.
struct S3Options: ParsableArguments {
    @Option(
        help: "S3 endpoint URL, for S3-compatible servers (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or AWS).")
    var endpoint: String?

    @Option(help: "Bucket region (default: found with GetBucketLocation).")
    var region: String?

    @Option(help: "Attempts per request, the first included, before a transient error fails.")
    var maxAttempts: Int = 5

    /// A client with credentials read from the environment, the AWS way.
    func makeClient(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Client {
        let resolver = CredentialsResolver(environment: environment)
        let credentials = try resolver.resolve()
        let endpointText = endpoint ?? resolver.endpointOverride()
        let url = try endpointText.map { text throws(S3ConfigurationError) in
            try S3ClientConfiguration.endpointURL(text)
        }
        let configuration = S3ClientConfiguration(
            endpoint: url, region: region ?? resolver.region(), retry: RetryPolicy(maxAttempts: maxAttempts))
        return S3Client(configuration: configuration, credentials: credentials)
    }
}

/// Runs a body with a client and always shuts the client down, even on failure.
func withS3Client<T>(_ options: S3Options, _ body: (S3Client) async throws -> T) async throws -> T {
    let client = try options.makeClient()
    do {
        let result = try await body(client)
        try? await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

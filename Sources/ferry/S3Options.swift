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

    @OptionGroup var timeouts: S3TimeoutOptions

    /// A client with credentials read from the environment, the AWS way.
    func makeClient(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Client {
        let resolver = CredentialsResolver(environment: environment)
        let endpointText = endpoint ?? resolver.endpointOverride()
        let url = try endpointText.map { text throws(S3ConfigurationError) in
            try S3ClientConfiguration.endpointURL(text)
        }
        guard maxAttempts >= 1 else {
            throw CLIError("ferry: --max-attempts must be at least 1", exitCode: ExitStatus.badInput)
        }
        let configuration = S3ClientConfiguration(
            endpoint: url, region: region ?? resolver.region(), retry: RetryPolicy(maxAttempts: maxAttempts),
            timeouts: try timeouts.value())
        let credentials = try resolver.resolve()
        return S3Client(configuration: configuration, credentials: credentials)
    }
}

/// `--connect-timeout` and `--request-timeout`, for every command that
/// reaches S3, so an unreachable endpoint fails in seconds, not minutes.
struct S3TimeoutOptions: ParsableArguments {
    @Option(help: "Seconds to wait for a connection to S3.")
    var connectTimeout: Double = 10

    @Option(help: "Seconds one S3 request may take, its retries included (plus a second per MiB it sends).")
    var requestTimeout: Double = 300

    /// Checked here so a typo is exit 2, not a hang or a trap.
    func value() throws -> S3Timeouts {
        for (name, seconds) in [("--connect-timeout", connectTimeout), ("--request-timeout", requestTimeout)]
        where !(seconds > 0 && seconds <= 86_400) {
            throw CLIError(
                "ferry: \(name) must be more than 0 and at most 86400 seconds", exitCode: ExitStatus.badInput)
        }
        // The idle timeout never outlasts the whole request's.
        let request = Duration.milliseconds(Int64(requestTimeout * 1000))
        return S3Timeouts(
            connect: .milliseconds(Int64(connectTimeout * 1000)), idle: min(S3Timeouts.standard.idle, request),
            request: request)
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

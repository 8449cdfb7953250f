import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Scheduling

/// Alerting and retention for `run --due` and `serve`.
struct AlertOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "POST each alert (run start, success, failure, delay) as JSON to this URL.",
            discussion:
                "Defaults to $FERRY_ALERT_WEBHOOK, which keeps the URL (often a secret) out of the process list. The JSON has a one-line `text` field, so chat incoming webhooks show it as is.",
            valueName: "url"))
    var alertWebhook: String?

    @Option(help: "Report a scheduled time with no successful run this many minutes after it fell due.")
    var delayAlertMinutes: Int = 150

    @Option(help: "Keep runs this many days (the latest and latest successful run of each segment always stay).")
    var retentionDays: Int = 90

    var webhookURL: String? {
        alertWebhook ?? ProcessInfo.processInfo.environment["FERRY_ALERT_WEBHOOK"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Applies the options to a runner: its delay threshold and where alerts go.
    func configure(_ runner: inout DueRunner) throws {
        guard delayAlertMinutes >= 1 else {
            throw CLIError("ferry: --delay-alert-minutes must be at least 1", exitCode: ExitStatus.badInput)
        }
        guard retentionDays >= 1 else {
            throw CLIError("ferry: --retention-days must be at least 1", exitCode: ExitStatus.badInput)
        }
        runner.delayThreshold = TimeInterval(delayAlertMinutes * 60)
        if let url = webhookURL {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                parsed.host != nil
            else {
                // The URL itself is not repeated: it may carry a token.
                throw CLIError("ferry: the alert webhook is not an http(s) URL", exitCode: ExitStatus.badInput)
            }
            let webhook = WebhookAlerts(url: url, logger: runner.logger)
            runner.onAlert = { alert in await webhook.send(alert) }
        }
    }
}

/// Posts alerts to a webhook. A failed post is logged without the URL and
/// never fails the run it reports on.
struct WebhookAlerts: Sendable {
    let url: String
    let logger: Logger

    struct Payload: Encodable {
        var event: String
        var text: String
        var alert: RunAlert
    }

    func send(_ alert: RunAlert) async {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        guard
            let body = try? encoder.encode(Payload(event: "run." + alert.kind.rawValue, text: alert.text, alert: alert))
        else { return }
        // Each alert gets a few seconds in all: a webhook that never answers
        // must not keep a finished `run --due` from exiting.
        let deadline = NIODeadline.now() + .seconds(8)
        for attempt in 1...3 where NIODeadline.now() < deadline {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await HTTPClient.shared.execute(request, deadline: min(deadline, .now() + .seconds(4)))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(response.status.code) { return }
                logger.warning(
                    "alert webhook refused",
                    metadata: ["status": "\(response.status.code)", "event": "\(alert.kind.rawValue)"])
                if response.status.code < 500 { return }
            } catch {
                logger.warning(
                    "alert webhook unreachable",
                    metadata: ["error": "\(type(of: error))", "event": "\(alert.kind.rawValue)"])
            }
            if attempt < 3 { try? await Task.sleep(for: .seconds(Double(attempt))) }
        }
    }
}

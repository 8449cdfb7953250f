import Foundation
import Metrics
import S3
import Scheduling
import Workspace

/// Turns the scheduler's run events into metrics: runs by status, rows
/// exported, bytes uploaded, run durations and each activation's last success.
public struct RunMetrics: Sendable {
    let store: any RunLedger

    public init(store: any RunLedger) {
        self.store = store
    }

    public func record(_ alert: RunAlert) async {
        switch alert.kind {
        case .started:
            Counter(label: "ferry_runs_started_total").increment()
        case .succeeded:
            Counter(label: "ferry_runs_total", dimensions: [("status", "success")]).increment()
            Counter(label: "ferry_rows_exported_total").increment(by: alert.rows ?? 0)
            Gauge(label: "ferry_last_success_timestamp_seconds", dimensions: [("activation", alert.activation)])
                .record(Date().timeIntervalSince1970)
            if let id = alert.runId, let run = try? await store.run(id: id) {
                Counter(label: "ferry_bytes_uploaded_total").increment(by: Int(run.files.reduce(0) { $0 + $1.bytes }))
                if let finished = run.finishedAt {
                    Timer(label: "ferry_run_duration_seconds").recordSeconds(finished.timeIntervalSince(run.startedAt))
                }
            }
        case .failed:
            Counter(label: "ferry_runs_total", dimensions: [("status", "failed")]).increment()
        case .delayed:
            Counter(label: "ferry_runs_delayed_total").increment()
        }
    }

    /// Segment evaluations, timed the same way wherever they are asked for.
    public static func recordEvaluation(seconds: Double) {
        Timer(label: "ferry_evaluation_duration_seconds").recordSeconds(seconds)
    }

    /// Counts every S3 attempt by operation, HTTP status and S3 error code, and the retries
    /// by operation and code: a slow export then shows whether S3 throttled it (`SlowDown`)
    /// or the network failed (status 0).
    public static func observeS3() {
        S3RequestObserver.install { event in
            let operation = event.operation.rawValue
            let code = event.code ?? ""
            Counter(
                label: "ferry_s3_requests_total",
                dimensions: [("operation", operation), ("status", String(event.httpStatus)), ("code", code)]
            ).increment()
            if event.retried {
                Counter(label: "ferry_s3_retries_total", dimensions: [("operation", operation), ("code", code)])
                    .increment()
            }
        }
    }
}

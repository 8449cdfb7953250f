import ArgumentParser
import Export
import FerryApp
import FerryHTTP
import Foundation
import S3
import Scheduling

/// `ferry serve`: wakes at each scheduled time and runs what is due; with
/// `--http`, also serves the REST API, the web console and metrics.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Run scheduled exports as they fall due, and with --http the API and console, until SIGTERM or SIGINT.",
        discussion: """
            With --http the server answers /api/v1 (bearer tokens from `ferry tokens create`), the web console \
            at /, /metrics, /healthz and /readyz. On SIGTERM it stops taking requests, finishes those in flight \
            and stops the scheduler; uploads it interrupts resume at the next start.
            Example: ferry serve --http 127.0.0.1:8080
            """)

    @OptionGroup var options: WorkspaceOptions
    @Option(help: "Runs at once.") var maxConcurrentRuns: Int = 2
    @Option(help: "Longest sleep between checks, in seconds; new activations are seen within it.")
    var pollSeconds: Int = 60
    @Option(help: ArgumentHelp("Serve HTTP at HOST:PORT (127.0.0.1 unless a host is given).", valueName: "host:port"))
    var http: String?
    @Flag(help: "Serve HTTP only; leave scheduled runs to another process.") var noScheduler = false
    @Option(help: ArgumentHelp("PEM certificate chain, to serve HTTPS.", valueName: "file")) var tlsCert: String?
    @Option(help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "file")) var tlsKey: String?
    @Option(
        help: ArgumentHelp(
            "After SIGTERM or SIGINT, exit after this many seconds even if work in flight has not stopped; its runs resume at the next start, as after a kill.",
            valueName: "seconds"))
    var stopTimeout: Int = 30
    @OptionGroup var timeouts: S3TimeoutOptions
    @OptionGroup var lease: LeaseOptions
    @OptionGroup var alerts: AlertOptions

    func validate() throws {
        guard maxConcurrentRuns >= 1 else { throw ValidationError("--max-concurrent-runs must be at least 1") }
        guard pollSeconds >= 1 else { throw ValidationError("--poll-seconds must be at least 1") }
        if noScheduler, http == nil {
            throw ValidationError("--no-scheduler needs --http: there would be nothing to run")
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if tlsCert != nil, http == nil { throw ValidationError("--tls-cert needs --http") }
        guard stopTimeout >= 1 else { throw ValidationError("--stop-timeout must be at least 1") }
    }

    func run() async throws {
        var listen: FerryServer.Listen?
        if let http {
            listen = try await AppErrorText.translating { try FerryServer.Listen(parsing: http) }
            if let tlsCert, let tlsKey {
                let files = FerryServer.TLSFiles(certificate: tlsCert, key: tlsKey)
                try await AppErrorText.translating { try FerryServer.checkTLS(files) }
                listen?.tls = files
            }
        }
        let opened = try await options.openStore()
        let workspace = opened.store
        var app = opened.useCases()
        app.exporter.timeouts = try timeouts.value()
        app.defaultEndpoint = CredentialsResolver(environment: ProcessInfo.processInfo.environment).endpointOverride()
        // The alert options configure a runner; the app's runners take its settings so metrics see every alert too.
        var configured = app.dueRunner()
        try alerts.configure(&configured)
        app.delayThreshold = configured.delayThreshold
        if alerts.webhookURL != nil { app.onAlert = configured.onAlert }
        var scheduler: Scheduler?
        if !noScheduler {
            var runner = app.dueRunner()
            runner.leaseDuration = lease.seconds
            var loop = Scheduler(runner: runner)
            loop.maxConcurrentRuns = maxConcurrentRuns
            loop.pollSeconds = pollSeconds
            loop.retentionDays = alerts.retentionDays
            loop.report = { outcomes in _ = await RunCommand.report(outcomes, workspace: workspace) }
            scheduler = loop
            // Several workers can share one PostgreSQL workspace; each names
            // itself, and `ferry runs list` shows which one ran each run.
            print("ferry serve worker \(runner.holder) on \(opened.location)")
        }
        if let listen {
            print(
                "ferry serving http\(listen.tls == nil ? "" : "s")://\(listen.host):\(listen.port)\(noScheduler ? " (no scheduler)" : "")"
            )
        }
        // A service manager or a test reads these lines as they come, not when a buffer fills.
        fflush(nil)
        let deadline = StopDeadline(seconds: stopTimeout)
        try await AppErrorText.translating { try await FerryServer.run(app: app, scheduler: scheduler, listen: listen) }
        deadline.cancel()
        await opened.close()
        print("ferry serve stopped")
    }
}

/// Ends the process a bounded time after SIGTERM or SIGINT. A graceful stop
/// waits for work in flight at its next await; one await that never ends (a
/// statement the database driver lost, an unanswered request) would otherwise
/// keep a worker alive and holding its runs' leases until someone kills it.
/// Everything a run does is recorded so that a kill is safe: its uploads
/// resume at the next start.
final class StopDeadline {
    private let sources: [any DispatchSourceSignal]

    init(seconds: Int) {
        let queue = DispatchQueue(label: "ferry.stop-deadline")
        sources = [SIGTERM, SIGINT].map { signal in
            let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
            source.setEventHandler {
                queue.asyncAfter(deadline: .now() + .seconds(seconds)) {
                    FileHandle.standardError.write(
                        Data(
                            "ferry serve did not stop within \(seconds) s of the signal (--stop-timeout); exiting now, and its runs resume at the next start\n"
                                .utf8))
                    exit(1)
                }
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}

import FerryApp
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

extension FerryServer {
    /// Where and how to serve HTTP.
    public struct Listen: Sendable {
        public var host: String
        public var port: Int
        public var tls: TLSFiles?

        public init(host: String, port: Int, tls: TLSFiles? = nil) {
            self.host = host
            self.port = port
            self.tls = tls
        }

        /// `HOST:PORT`, `[IPv6]:PORT` or a bare port (on 127.0.0.1).
        public init(parsing text: String) throws(AppError) {
            if let port = Int(text) {
                self.init(host: "127.0.0.1", port: port)
            } else if let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) {
                var host = String(text[..<colon])
                if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
                self.init(host: host.isEmpty ? "127.0.0.1" : host, port: port)
            } else {
                throw AppError.badInput("--http '\(text)' is not HOST:PORT, e.g. 127.0.0.1:8080", field: "http")
            }
            guard (0...65535).contains(port) else {
                throw AppError.badInput("--http port \(port) is not between 0 and 65535", field: "http")
            }
        }
    }

    /// A PEM certificate chain and its private key.
    public struct TLSFiles: Sendable {
        public var certificate: String
        public var key: String

        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// Reads the certificate and key once, so a bad file is reported before anything starts.
    public static func checkTLS(_ files: TLSFiles) throws {
        _ = try TLSSetup.server(certificate: files.certificate, key: files.key)
    }

    /// Runs the scheduler, the server, or both, until SIGTERM or SIGINT. The
    /// server then stops taking requests and finishes those in flight, and the
    /// scheduler stops at its next await, its runs left to resume.
    public static func run(
        app: FerryUseCases, scheduler: Scheduler?, listen: Listen?, logger: Logger = Logger(label: "ferry.serve")
    ) async throws {
        var services: [any Service] = []
        if let scheduler { services.append(SchedulerService(scheduler)) }
        guard let listen else {
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
            return
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let server: HTTPServerBuilder
        if let tls = listen.tls {
            server = try TLSSetup.server(certificate: tls.certificate, key: tls.key)
        } else {
            server = .http1()
        }
        let application = buildApplication(
            app: app, host: listen.host, port: listen.port, metrics: registry, services: services, server: server,
            secureCookies: listen.tls != nil, logger: logger)
        try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}

import FerryApp
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Prometheus
import ServiceLifecycle

/// Builds Ferry's HTTP server; tests call the same functions.
public enum FerryServer {
    /// The router for the API, the console, health and metrics.
    ///
    /// - Parameters:
    ///   - metrics: the registry `/metrics` shows; nil leaves `/metrics` out.
    ///   - secureCookies: set the console cookie's Secure flag (served over TLS).
    public static func buildRouter(
        app: FerryUseCases, metrics: PrometheusCollectorRegistry? = nil, secureCookies: Bool = false
    ) -> Router<FerryRequestContext> {
        let router = Router(context: FerryRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        router.get("/healthz") { _, _ in
            try JSONResponse.make(["status": "ok"])
        }
        router.get("/readyz") { _, _ in
            guard await app.ready() else {
                return try JSONResponse.make(["status": "the workspace cannot be read"], status: .serviceUnavailable)
            }
            return try JSONResponse.make(["status": "ready"])
        }
        if let metrics {
            RunMetrics.observeS3()
            // Requests by route, method and status, with their durations.
            router.add(middleware: MetricsMiddleware())
            router.get("/metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
            }
        }
        APIRoutes(app: app).add(to: router)
        ConsoleRoutes(app: app, sessions: ConsoleSessions(), secureCookies: secureCookies).add(to: router)
        return router
    }

    /// The server with its services (the scheduler, when given), ready for `runService()`.
    public static func buildApplication(
        app: FerryUseCases, host: String, port: Int, metrics: PrometheusCollectorRegistry?,
        services: [any Service] = [], server: HTTPServerBuilder = .http1(), secureCookies: Bool = false,
        logger: Logger = Logger(label: "ferry.http")
    ) -> some ApplicationProtocol {
        Application(
            router: buildRouter(app: app, metrics: metrics, secureCookies: secureCookies), server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "ferry"),
            services: services,
            logger: logger)
    }
}

/// The scheduler as a service: it stops, cleanly, when the server shuts down.
public struct SchedulerService: Service {
    let scheduler: Scheduler

    public init(_ scheduler: Scheduler) {
        self.scheduler = scheduler
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await scheduler.run()
        }
    }
}

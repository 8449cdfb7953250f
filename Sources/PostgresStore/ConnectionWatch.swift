import PostgresNIO
import Synchronization

/// Thrown for a store call whose connection closed under it and which then
/// did not end by itself; the call is retried on another connection.
struct ConnectionLost: Error, CustomStringConvertible {
    var description: String { "the connection to the database closed under a statement that never ended" }
}

/// Runs one store call so that a connection closing under it, or a
/// cancellation, always ends it.
///
/// PostgresNIO drops a statement written to a connection whose channel has
/// already closed without failing it, so awaiting its result never ends and
/// does not see cancellation either. That happens when the server restarts:
/// `withTransaction` sends ROLLBACK on the connection that just died, or a
/// connection is leased a moment before it closes. A worker then sat with its
/// run `processing` and its lease renewed, and ignored SIGTERM. Here the call
/// runs in a task of its own; once its connection has closed, or the caller is
/// cancelled, and the call has not ended within `grace`, the caller gets
/// `ConnectionLost` (or the cancellation) and the stuck task is left behind. A
/// statement that never reached the server cannot have changed anything, so the
/// call can be run again.
enum ConnectionWatch {
    /// How long a call may go on after its connection closed: a statement the
    /// server ended fails at once, so only a dropped one is still waiting then.
    static let grace: Duration = .seconds(5)
    /// How often a running call's connection is looked at.
    static let interval: Duration = .milliseconds(500)

    static func run<T: Sendable>(
        grace: Duration = ConnectionWatch.grace,
        _ call: @escaping @Sendable (_ watch: @escaping @Sendable (PostgresConnection) -> Void) async throws -> T
    ) async throws -> T {
        let outcome = Outcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.install(continuation)
                outcome.track(
                    Task {
                        do {
                            let value = try await call { connection in outcome.watch(connection, grace: grace) }
                            outcome.finish(.success(value))
                        } catch {
                            outcome.finish(.failure(error))
                        }
                    })
            }
        } onCancel: {
            outcome.cancel(grace: grace)
        }
    }

    /// The one result of a call, from whichever comes first: the call itself,
    /// or giving up on it.
    final class Outcome<T: Sendable>: Sendable {
        struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var result: Result<T, any Error>?
            var task: Task<Void, Never>?
            var watcher: Task<Void, Never>?
            var cancelled = false
        }
        let state = Mutex(State())

        func install(_ continuation: CheckedContinuation<T, any Error>) {
            let ready = state.withLock { state -> Result<T, any Error>? in
                if let result = state.result { return result }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }

        func track(_ task: Task<Void, Never>) {
            let cancelled = state.withLock { state in
                state.task = task
                return state.cancelled
            }
            if cancelled { task.cancel() }
        }

        /// The first result wins; later ones (a stuck call that does end after
        /// all) are dropped.
        func finish(_ result: Result<T, any Error>) {
            let (continuation, watcher) = state.withLock { state in
                guard state.result == nil else {
                    return (CheckedContinuation<T, any Error>?.none, Task<Void, Never>?.none)
                }
                state.result = result
                defer {
                    state.continuation = nil
                    state.watcher = nil
                }
                return (state.continuation, state.watcher)
            }
            watcher?.cancel()
            continuation?.resume(with: result)
        }

        /// Looks at `connection` while the call runs, rather than waiting on its
        /// close future, which would keep one callback per call for the life of a
        /// pooled connection.
        func watch(_ connection: PostgresConnection, grace: Duration) {
            let watcher = Task { [weak self] in
                while !Task.isCancelled {
                    if connection.isClosed {
                        try? await Task.sleep(for: grace)
                        self?.finish(.failure(ConnectionLost()))
                        return
                    }
                    try? await Task.sleep(for: ConnectionWatch.interval)
                }
            }
            let finished = state.withLock { state in
                state.watcher?.cancel()
                state.watcher = watcher
                return state.result != nil
            }
            if finished { watcher.cancel() }
        }

        func cancel(grace: Duration) {
            let task = state.withLock { state in
                state.cancelled = true
                return state.task
            }
            task?.cancel()
            Task { [weak self] in
                try? await Task.sleep(for: grace)
                self?.finish(.failure(CancellationError()))
            }
        }
    }
}

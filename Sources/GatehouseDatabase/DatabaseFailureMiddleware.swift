import FluentPostgresDriver
import FluentSQLiteDriver
import GatehouseGuard
import Vapor

/// Answers `503 database_unavailable` with `Retry-After` when the database cannot answer (PostgreSQL
/// gone or refusing connections, SQLite busy past its timeout, unwritable or full), instead of `500`,
/// and logs what the database said. Errors that are bugs (syntax, an unhandled constraint) stay `500`.
///
/// Sits inside ``ProblemMiddleware`` so that the problem it throws is rendered like any other.
public struct DatabaseFailureMiddleware: Middleware {
    public static let retryAfterSeconds = 5

    public init() {}

    // Future-based: it wraps every request, and an async middleware would cost a task each time.
    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapErrorThrowing { error in
            guard let said = Self.unavailability(error) else { throw error }
            request.logger.error("database unavailable", metadata: ["database_said": "\(said)"])
            throw Problem(
                .serviceUnavailable, code: "database_unavailable", title: "Service unavailable",
                detail: "The service cannot reach its database right now; try again shortly.",
                headers: ["Retry-After": String(Self.retryAfterSeconds)])
        }
    }

    private static let sqliteOutages = [
        "busy", "locked", "readOnly", "readonly", "ioError", "full", "cantOpen", "corrupt", "notADatabase", "proto", "noLFS",
    ]

    /// What the database said, when `error` means it cannot answer now; nil for every other error.
    /// Only codes and the database's own message: never bind values or statement text.
    static func unavailability(_ error: any Error) -> String? {
        switch error {
        case let error as SQLiteError:
            // Extended result codes (`ioErrorFailedWrite`, `readonlyDirectory`, `busyTimeout`, ...) are
            // named after their primary code, which is what decides.
            let reason = String(describing: error.reason)
            guard Self.sqliteOutages.contains(where: { reason.hasPrefix($0) }) else { return nil }
            return "sqlite \(reason): \(error.message)"
        case let error as PSQLError:
            if error.code == .server {
                // SQLSTATE classes 08 (connection), 53 (resources), 57P0x (shutting down, starting up).
                guard let state = error.serverInfo?[.sqlState],
                    state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P")
                else { return nil }
                return "postgres \(state): \(error.serverInfo?[.message] ?? "")"
            }
            return "postgres client: \(error.code)" + (error.underlying.map { " (\($0))" } ?? "")
        case is ConnectionPoolTimeoutError, is ConnectionPoolError:
            return "connection pool: \(String(describing: error))"
        case let error as NIOConnectionError:
            return "connection failed: \(error.host):\(error.port)"
        default:
            return nil
        }
    }
}

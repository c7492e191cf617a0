import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import GatehouseCore
import SQLKit
import Vapor

extension Application {
    /// Points Fluent at SQLite (creating its folder) or PostgreSQL, as configured.
    ///
    /// SQLite is set up for several writers in one process (see ``SQLiteSettings``); call
    /// ``prepareDatabase(_:)`` once the application exists to apply it.
    public func useDatabase(_ location: DatabaseLocation) throws {
        switch location {
        case .sqlite(let path):
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            databases.use(.oneConnection(.sqlite(.file(path), sqlLogLevel: nil)), as: .sqlite)
        case .postgres(let url):
            // SQL at trace only; its bind values (hashes, sealed tokens, addresses) never reach a log
            // line: the executable's RedactingLogHandler drops them.
            databases.use(try .postgres(url: url, maxConnectionsPerEventLoop: 4, connectionPoolTimeout: .seconds(5), sqlLogLevel: .trace), as: .psql)
        }
    }

    /// Applies ``SQLiteSettings`` to every pooled SQLite connection; nothing to do for PostgreSQL.
    public func prepareDatabase(_ location: DatabaseLocation) async throws {
        guard case .sqlite = location else { return }
        try await SQLiteSettings.apply(to: self)
    }
}

/// How Gatehouse runs SQLite, and why that is durable enough for an auth server.
///
/// - `journal_mode=WAL` (stored in the file): readers never wait for the writer and the writer never
///   waits for readers; only writers take turns.
/// - `synchronous=FULL`: every commit is on disk (the WAL is fsynced) before the request is answered,
///   so an answered registration or rotation survives `kill -9` and power loss alike. `NORMAL` would
///   be faster but may lose the last commits on power loss, and a lost rotation logs a person out.
/// - `busy_timeout=5000`: a writer that finds another writer busy waits up to 5 s (sleeping, not
///   spinning) instead of failing; beyond that the request answers `503` with `Retry-After`.
/// - Every transaction that may write starts with `BEGIN IMMEDIATE` (``Database/write(_:)``): it
///   takes the write lock first, so it can wait for it. A deferred transaction that read first and
///   then needs to write gets `SQLITE_BUSY` at once, without waiting: that was the `500` under load.
/// - One connection for the whole process (``DatabaseConfigurationFactory/oneConnection(_:)``): SQLite
///   runs one writer at a time anyway, and two connections of the same process would only meet in
///   the busy handler, which sleeps milliseconds at a time. Requests queue for the connection instead;
///   each statement takes microseconds. The busy timeout still covers other processes on the file
///   (`gatehouse users`, a backup).
public enum SQLiteSettings {
    public static let busyTimeoutMilliseconds = 5_000

    static func apply(to app: Application) async throws {
        // journal_mode is a property of the file; the others belong to the one connection.
        let sql = app.db.sql
        try await sql.raw("PRAGMA journal_mode = WAL").run()
        try await sql.raw("PRAGMA busy_timeout = \(unsafeRaw: String(busyTimeoutMilliseconds))").run()
        try await sql.raw("PRAGMA synchronous = FULL").run()
    }
}

extension DatabaseConfigurationFactory {
    /// `base`, with every database it makes bound to one event loop, and so to the one connection
    /// of that loop's pool (Fluent's SQLite pools hold one connection per event loop).
    static func oneConnection(_ base: DatabaseConfigurationFactory) -> DatabaseConfigurationFactory {
        DatabaseConfigurationFactory { OneConnection(base: base.make()) }
    }
}

/// See ``DatabaseConfigurationFactory/oneConnection(_:)``.
private struct OneConnection: DatabaseConfiguration {
    var base: any DatabaseConfiguration

    var middleware: [any AnyModelMiddleware] {
        get { base.middleware }
        set { base.middleware = newValue }
    }

    func makeDriver(for databases: Databases) -> any DatabaseDriver {
        Driver(base: base.makeDriver(for: databases), loop: databases.eventLoopGroup.next())
    }

    struct Driver: DatabaseDriver {
        let base: any DatabaseDriver
        let loop: any EventLoop

        func makeDatabase(with context: DatabaseContext) -> any Database {
            base.makeDatabase(with: DatabaseContext(
                configuration: context.configuration, logger: context.logger, eventLoop: loop, history: context.history,
                pageSizeLimit: context.pageSizeLimit, shouldTrace: context.shouldTrace))
        }

        func shutdown() { base.shutdown() }
        func shutdownAsync() async { await base.shutdownAsync() }
    }
}

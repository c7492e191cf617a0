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
            databases.use(.sqlite(.file(path), sqlLogLevel: nil), as: .sqlite)
        case .postgres(let url):
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
/// - One connection per event loop (Fluent's SQLite pool), so at most as many writers as cores.
public enum SQLiteSettings {
    public static let busyTimeoutMilliseconds = 5_000

    static func apply(to app: Application) async throws {
        // journal_mode is a property of the file; the others belong to each connection, and the pool
        // keeps one connection per event loop: reach each through its own loop.
        var loops: [any EventLoop] = []
        for loop in app.eventLoopGroup.makeIterator() { loops.append(loop) }
        for (index, loop) in loops.enumerated() {
            guard let sql = app.databases.database(logger: app.logger, on: loop) as? any SQLDatabase else { continue }
            if index == 0 { try await sql.raw("PRAGMA journal_mode = WAL").run() }
            try await sql.raw("PRAGMA busy_timeout = \(unsafeRaw: String(busyTimeoutMilliseconds))").run()
            try await sql.raw("PRAGMA synchronous = FULL").run()
        }
    }
}

import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import GatehouseCore
import Vapor

extension Application {
    /// Points Fluent at SQLite (creating its folder) or PostgreSQL, as configured.
    public func useDatabase(_ location: DatabaseLocation) throws {
        switch location {
        case .sqlite(let path):
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            databases.use(.sqlite(.file(path), sqlLogLevel: nil), as: .sqlite)
        case .postgres(let url):
            databases.use(try .postgres(url: url, maxConnectionsPerEventLoop: 4, sqlLogLevel: .trace), as: .psql)
        }
    }
}

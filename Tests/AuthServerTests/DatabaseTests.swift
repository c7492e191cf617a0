import Fluent
import FluentSQLiteDriver
import Foundation
import GatehouseTesting
import GatehouseDatabase
import GatehouseGuard
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

@Suite("The database under load and when it cannot answer")
struct DatabaseTests {
    @Test("concurrent registrations, logins and refreshes while the outbox keeps failing all succeed", .onEveryDatabase)
    func concurrentWriters() async throws {
        // Every in-process client has the same (absent) address; this test is about the database.
        var limits = RateLimits()
        limits.registerPerAddress.limit = 100
        try await withServer(rateLimits: limits) { server in
            let member = try await server.makeUser()
            server.mailer.failNext(1_000_000)
            let statuses = try await withThrowingTaskGroup(of: [UInt].self) { group in
                for client in 0..<8 {
                    group.addTask {
                        var statuses: [UInt] = []
                        for round in 0..<6 {
                            statuses.append(try await server.register("load-\(client)-\(round)@example.com").status.code)
                            let browser = try server.browser()
                            let login = try await browser.send(.POST, "/auth/login", json: ["email": member, "password": TestServer.password], csrf: .anonymous)
                            statuses.append(login.status.code)
                            statuses.append(try await browser.send(.POST, "/auth/refresh", csrf: .held).status.code)
                        }
                        return statuses
                    }
                }
                // The outbox worker retries its failing mail all the while, as it would in production.
                group.addTask {
                    for _ in 0..<40 {
                        server.clock.advance(by: 2)
                        try await server.deliverMail()
                    }
                    return []
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.filter { $0 >= 500 }.isEmpty, "server errors: \(statuses.filter { $0 >= 500 })")
            #expect(try await UserRecord.query(on: server.app.db).filter(\.$email ~~ (0..<8).flatMap { client in
                (0..<6).map { "load-\(client)-\($0)@example.com" }
            }).count() == 48)
        }
    }

    @Test("a database that cannot answer gives 503 database_unavailable with Retry-After, not 500")
    func unavailableDatabase() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-db-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await Application.make(.testing).run { app in
            try app.useDatabase(.sqlite(path: folder.appendingPathComponent("db.sqlite").path))
            try await app.db.sql.raw("CREATE TABLE things (id INTEGER PRIMARY KEY)").run()
            app.middleware = .init()
            // A store that has become read-only, as an unwritable file or a full disk would make it.
            app.post("write") { req -> String in
                try await req.db.sql.raw("PRAGMA query_only = 1").run()
                do {
                    try await req.db.sql.raw("INSERT INTO things (id) VALUES (1)").run()
                } catch {
                    try await req.db.sql.raw("PRAGMA query_only = 0").run()
                    throw error
                }
                return "written"
            }
            app.post("twice") { req -> String in
                try await req.db.sql.raw("INSERT INTO things (id) VALUES (2)").run()
                try await req.db.sql.raw("INSERT INTO things (id) VALUES (2)").run()
                return "written twice"
            }
            app.middleware.use(ProblemMiddleware(routes: app.routes))
            app.middleware.use(DatabaseFailureMiddleware())
            let tester = try app.testing()
            let response = try await tester.sendRequest(.POST, "/write")
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers.first(name: .retryAfter) == "\(DatabaseFailureMiddleware.retryAfterSeconds)")
            #expect(response.headers.first(name: .contentType) == "application/problem+json")
            #expect(try response.json()["code"] as? String == "database_unavailable")
            // A constraint nobody handled is a bug, not an outage.
            #expect(try await tester.sendRequest(.POST, "/twice").status == .internalServerError)
        }
    }

    @Test("SQLite runs in WAL mode with a busy timeout on the one connection every event loop uses")
    func sqliteSettings() async throws {
        try await withServer(.sqlite) { server in
            let mode = try await server.app.db.sql.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
            #expect(mode == "wal")
            var connectionLoops = Set<ObjectIdentifier>()
            for loop in server.app.eventLoopGroup.makeIterator() {
                let db = server.app.databases.database(logger: server.app.logger, on: loop)!
                connectionLoops.insert(ObjectIdentifier(db.eventLoop))
                let timeout = try await db.sql.raw("PRAGMA busy_timeout").first()?.decode(column: "timeout", as: Int.self)
                #expect(timeout == SQLiteSettings.busyTimeoutMilliseconds)
            }
            #expect(connectionLoops.count == 1)
        }
    }
}

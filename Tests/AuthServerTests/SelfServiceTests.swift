import Foundation
import GatehouseCore
import GatehouseTesting
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

/// Change email, export, delete (CONTRACT "Account self-service").
@Suite("Account self-service", .onEveryDatabase)
struct SelfServiceTests {
    func changeLink(_ server: TestServer, to email: String) async throws -> String {
        try await server.token(mailedTo: email, linkPrefix: "\(server.configuration.authURL)/auth/confirm-email-change?token=")
    }

    func confirm(_ server: TestServer, _ token: String) async throws -> String? {
        let response = try await server.browser().send(.GET, "/auth/confirm-email-change?token=\(token)")
        return response.headers.first(name: .location)
    }

    @Test("change email: a link to the new address, a notice to the old; the address changes only when the link is used, once")
    func changeEmail() async throws {
        try await withServer { server in
            let old = try await server.makeUser()
            let browser = try await server.login(old)
            let new = "moved-\(UUID().uuidString.prefix(6).lowercased())@example.com"
            #expect(try await browser.send(.POST, "/auth/change-email", json: ["newEmail": new]).problemCode == "csrf_invalid")
            #expect(try await browser.send(.POST, "/auth/change-email", json: ["newEmail": "nope"], csrf: .held).problemCode == "validation_failed")
            #expect(try await browser.send(.POST, "/auth/change-email", json: ["newEmail": old], csrf: .held).problemCode == "validation_failed")
            #expect(try await browser.send(.POST, "/auth/change-email", json: ["newEmail": new], csrf: .held).status == .accepted)
            let mails = try await server.deliverMail()
            #expect(mails.contains { $0.to == old && $0.subject == "Your email address is about to change" && $0.textBody.contains(new) })
            let token = try await changeLink(server, to: new)
            #expect(try await server.browser().send(.POST, "/auth/login", json: ["email": new, "password": TestServer.password], csrf: .anonymous)
                .status == .unauthorized, "not before the link is used")

            #expect(try await confirm(server, token) == "\(server.configuration.spaURL)/confirm-email?status=success")
            #expect(try await confirm(server, token)?.hasSuffix("status=success") == true, "the same link again is no error")
            #expect(try await confirm(server, "A" + token.dropFirst())?.hasSuffix("status=invalid") == true)
            _ = try await server.login(new)
            #expect(try await server.browser().send(.POST, "/auth/login", json: ["email": old, "password": TestServer.password], csrf: .anonymous)
                .status == .unauthorized)
            #expect(try await server.notableEvents().contains("email_changed"))
        }
    }

    @Test("change email needs recent authentication; links expire; a taken address gets a notice, not a link")
    func changeEmailEdges() async throws {
        try await withServer { server in
            let email = try await server.makeUser()
            let other = try await server.makeUser()
            let browser = try await server.login(email)
            server.clock.advance(by: 301)
            #expect(try await browser.send(.POST, "/auth/change-email", json: ["newEmail": other], csrf: .held).problemCode
                == "reauthentication_required")
            #expect(try await browser.send(.POST, "/auth/reauthenticate", json: ["password": TestServer.password], csrf: .held).status == .ok)
            #expect(try await browser.send(.POST, "/auth/change-email", json: ["newEmail": other], csrf: .held).status == .accepted)
            let notice = try await server.deliverMail().last { $0.to == other }
            #expect(notice?.subject == "This address already has an account" && notice?.textBody.contains("confirm-email-change") == false)

            let new = "later-\(UUID().uuidString.prefix(6).lowercased())@example.com"
            #expect(try await browser.send(.POST, "/auth/change-email", json: ["newEmail": new], csrf: .held).status == .accepted)
            let token = try await changeLink(server, to: new)
            server.clock.advance(by: 3601)
            #expect(try await confirm(server, token)?.hasSuffix("status=expired") == true)
        }
    }

    @Test("a change whose address was registered meanwhile answers taken and changes nothing")
    func changeEmailTaken() async throws {
        try await withServer { server in
            let email = try await server.makeUser()
            let browser = try await server.login(email)
            let new = "race-\(UUID().uuidString.prefix(6).lowercased())@example.com"
            _ = try await browser.send(.POST, "/auth/change-email", json: ["newEmail": new], csrf: .held)
            let token = try await changeLink(server, to: new)
            _ = try await server.makeUser(new)
            #expect(try await confirm(server, token)?.hasSuffix("status=taken") == true)
            _ = try await server.login(email)
        }
    }

    /// Every table with a column naming a person, from the database's own catalogue.
    func personalTables(_ server: TestServer) async throws -> Set<String> {
        let sql = server.app.db.sql
        let tables: [String]
        if sql.dialect.name == "sqlite" {
            tables = try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()
                .map { try $0.decode(column: "name", as: String.self) }
        } else {
            tables = try await sql.raw("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()").all()
                .map { try $0.decode(column: "name", as: String.self) }
        }
        var personal: Set<String> = []
        for table in tables where table != "_fluent_migrations" {
            let columns: [String]
            if sql.dialect.name == "sqlite" {
                columns = try await sql.raw("SELECT name FROM pragma_table_info(\(bind: table))").all().map { try $0.decode(column: "name", as: String.self) }
            } else {
                columns = try await sql.raw("SELECT column_name AS name FROM information_schema.columns WHERE table_name = \(bind: table)").all()
                    .map { try $0.decode(column: "name", as: String.self) }
            }
            if table == "users" || columns.contains("user_id") || columns.contains("recipient") || (columns.contains("email") && table != "identities") {
                personal.insert(table)
            }
        }
        return personal
    }

    @Test("the export holds a row of every table about the person, and nothing about anyone else")
    func export() async throws {
        try await withServer { server in
            let email = try await server.makeUser()
            let someoneElse = try await server.makeUser()
            _ = try await server.login(someoneElse)
            let browser = try await server.login(email)
            _ = try await browser.send(.POST, "/auth/mfa/totp", csrf: .held)  // a TOTP factor, unconfirmed
            _ = try await browser.send(.POST, "/auth/forgot-password", json: ["email": email], csrf: .anonymous)
            _ = try await browser.send(.POST, "/auth/passkeys/registration-options", csrf: .held)
            let response = try await browser.send(.GET, "/auth/account/export")
            #expect(response.status == .ok)
            #expect(response.headers.first(name: .contentDisposition)?.contains("attachment") == true)
            let export = try response.json()
            let covered = Set(AccountExport.tables.map(\.name))
            #expect(try await personalTables(server).subtracting(covered).isEmpty, "a table about people is missing from the export")
            let id = try await server.userID(email)
            #expect((export["users"] as? [[String: Any]])?.first?["id"] as? String == id)
            for table in ["users", "sessions", "security_events", "one_time_tokens", "totp_factors", "webauthn_challenges", "outbox_messages", "link_requests"] {
                #expect((export[table] as? [Any])?.isEmpty == false, "\(table) has rows about the person")
            }
            let text = String(buffer: response.body)
            let otherID = try await server.userID(someoneElse)
            #expect(!text.contains(someoneElse) && !text.contains(otherID), "nothing about anyone else")
            #expect(!text.contains("password_hash") && !text.contains("argon2") && !text.contains("sealed_secret") && !text.contains("token_hash"))
        }
    }

    @Test("deleting the account needs recent authentication; then every row of it goes, a notice is mailed and the Resource Server is told")
    func delete() async throws {
        try await withServer { server in
            let email = try await server.makeUser()
            let browser = try await server.login(email)
            let id = try await server.userID(email)
            _ = try await browser.send(.POST, "/auth/mfa/totp", csrf: .held)
            server.clock.advance(by: 301)
            #expect(try await browser.send(.DELETE, "/auth/account", csrf: .held).problemCode == "reauthentication_required")
            #expect(try await browser.send(.POST, "/auth/reauthenticate", json: ["password": TestServer.password], csrf: .held).status == .ok)
            #expect(try await browser.send(.DELETE, "/auth/account").problemCode == "csrf_invalid")
            let deleted = try await browser.send(.DELETE, "/auth/account", csrf: .held)
            #expect(deleted.status == .noContent)
            #expect(deleted.headers.setCookie?["access_token"]?.maxAge == 0)

            let uuid = try #require(UUID(uuidString: id))
            for table in AccountExport.tables where table.owner != "email" && table.owner != "recipient" {
                let rows = try await server.app.db.sql.raw("SELECT COUNT(*) AS n FROM \(ident: table.name) WHERE \(ident: table.owner) = \(bind: uuid)")
                    .first()?.decode(column: "n", as: Int.self)
                #expect(rows == 0, "\(table.name) still holds rows of the deleted account")
            }
            let mails = try await server.deliverMail().filter { $0.to == email }
            #expect(mails.last?.subject == "Your account was deleted")
            #expect(try await server.browser().send(.POST, "/auth/login", json: ["email": email, "password": TestServer.password], csrf: .anonymous)
                .problemCode == "invalid_credentials")
            #expect(try await server.register(email).status == .accepted, "the address is free again")

            let pushed = NIOLockedValueBox<[(String, String)]>([])
            let worker = EventDeliveryWorker(database: server.app.db, clock: server.clock, logger: server.app.logger) { receiver, token in
                pushed.withLockedValue { $0.append((receiver, token)) }
                return 202
            }
            #expect(try await worker.deliverDue() == 1)
            #expect(try await worker.deliverDue() == 0, "delivered once")
            let (receiver, token) = try #require(pushed.withLockedValue { $0 }.first)
            #expect(receiver == "\(server.configuration.resourceURL)/events")
            let verifier = TokenVerifier(
                keys: try KeyStore(directory: KeyDirectory(path: server.configuration.keysDirectory, algorithm: .es256, retention: 3600), clock: server.clock),
                issuer: server.configuration.authURL, audience: server.configuration.resourceURL, leeway: 0, clock: server.clock)
            let claims = try await verifier.verify(token, as: SecurityEventClaims.self)
            #expect(claims.sub.description == id && claims.events[SecurityEventClaims.accountDeleted] != nil)
        }
    }

    @Test("a failed push is retried with backoff, then given up")
    func deliveryRetries() async throws {
        try await withServer { server in
            let browser = try await server.login(try await server.makeUser())
            _ = try await browser.send(.DELETE, "/auth/account", csrf: .held)
            let attempts = NIOLockedValueBox(0)
            var worker = EventDeliveryWorker(database: server.app.db, clock: server.clock, logger: server.app.logger) { _, _ in
                attempts.withLockedValue { $0 += 1 }
                return 503
            }
            worker.maxAttempts = 3
            #expect(try await worker.deliverDue() == 1)
            #expect(try await worker.deliverDue() == 0, "not due again yet")
            for _ in 0..<4 {
                server.clock.advance(by: 3600)
                try await worker.deliverDue()
            }
            #expect(attempts.withLockedValue { $0 } == 3)
        }
    }
}

import Fluent
import Foundation
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

/// Mailed links that strangers cannot hijack or keep dead (CONTRACT "Abuse resistance").
@Suite("Mailed links: pending registrations, links that stay valid, equal work", .onEveryDatabase)
struct LinkSafetyTests {
    static let confirmPrefix = "http://localhost:9000/auth/confirm-account?token="
    static let resetPrefix = "http://localhost:5173/reset-password?token="

    /// Every link mailed to `email` with `prefix`, oldest first.
    func tokens(_ server: TestServer, mailedTo email: String, prefix: String) async throws -> [String] {
        try await server.deliverMail().filter { $0.to == email }.compactMap { mail in
            mail.textBody.range(of: prefix).map { String(mail.textBody[$0.upperBound...].prefix { !$0.isWhitespace }) }
        }
    }

    func confirm(_ server: TestServer, _ token: String) async throws -> String? {
        try await server.browser().send(.GET, "/auth/confirm-account?token=\(token)").headers.first(name: .location)
    }

    func loginStatus(_ server: TestServer, _ email: String, _ password: String) async throws -> HTTPStatus {
        try await server.browser().send(.POST, "/auth/login", json: ["email": email, "password": password], csrf: .anonymous).status
    }

    @Test("a second registration never replaces the pending password: each link activates its own registration")
    func pendingRegistrationPerLink() async throws {
        try await withServer() { server in
            let email = "victim@example.com"
            #expect(try await server.register(email, password: "squatters password 1").status == .accepted)
            #expect(try await server.register(email, password: "victims own password 2").status == .accepted)
            #expect(try await loginStatus(server, email, "squatters password 1") == .forbidden, "still the first registration's, unconfirmed")
            #expect(try await loginStatus(server, email, "victims own password 2") == .unauthorized, "nothing activated it yet")

            let links = try await tokens(server, mailedTo: email, prefix: Self.confirmPrefix)
            #expect(links.count == 2)
            #expect(try await confirm(server, links[1])?.hasSuffix("status=success") == true)
            #expect(try await loginStatus(server, email, "victims own password 2") == .ok)
            #expect(try await loginStatus(server, email, "squatters password 1") == .unauthorized)
            // Once the address is confirmed, every other pending link is invalid; the used one stays harmless.
            #expect(try await confirm(server, links[0])?.hasSuffix("status=invalid") == true)
            #expect(try await confirm(server, links[1])?.hasSuffix("status=success") == true)
            #expect(try await loginStatus(server, email, "victims own password 2") == .ok)
        }
    }

    @Test("asking again never spends a reset link already sent; using one spends them all")
    func resetLinksStayValidUntilOneIsUsed() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            for _ in 0..<3 {
                #expect(try await server.browser().send(.POST, "/auth/forgot-password", json: ["email": email], csrf: .anonymous).status == .accepted)
            }
            let links = try await tokens(server, mailedTo: email, prefix: Self.resetPrefix)
            #expect(links.count == 3)
            let reset = try await server.browser().send(
                .POST, "/auth/reset-password", json: ["token": links[0], "newPassword": "the oldest link works"], csrf: .anonymous)
            #expect(reset.status == .ok)
            for spent in links {
                let again = try await server.browser().send(
                    .POST, "/auth/reset-password", json: ["token": spent, "newPassword": "another new password"], csrf: .anonymous)
                #expect(again.problemCode == "invalid_token")
            }
            #expect(try await loginStatus(server, email, "the oldest link works") == .ok)
        }
    }

    @Test("a resend never spends the confirmation link already sent")
    func confirmationLinksStayValid() async throws {
        try await withServer() { server in
            let email = "new@example.com"
            _ = try await server.register(email)
            _ = try await server.browser().send(.POST, "/auth/resend-verification", json: ["email": email], csrf: .anonymous)
            let links = try await tokens(server, mailedTo: email, prefix: Self.confirmPrefix)
            #expect(links.count == 2)
            #expect(try await confirm(server, links[0])?.hasSuffix("status=success") == true)
            #expect(try await confirm(server, links[1])?.hasSuffix("status=invalid") == true)
        }
    }

    @Test("when the recipient's mail limit holds a mail back, no link is made")
    func noLinkWithoutMail() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()  // one mail: the confirmation
            for _ in 0..<14 {
                _ = try await server.browser().send(.POST, "/auth/forgot-password", json: ["email": email], csrf: .anonymous)
                try await server.deliverMail()
            }
            let resets = try await OneTimeTokenRecord.query(on: server.app.db).filter(\.$purpose == "reset_password").count()
            let mailed = try await tokens(server, mailedTo: email, prefix: Self.resetPrefix).count
            #expect(mailed == 9, "10 mails an hour to one recipient, the confirmation included")
            #expect(resets == mailed)
        }
    }

    @Test("forgot-password and resend do the same work whatever the address: one recorded request")
    func equalWork() async throws {
        try await withServer() { server in
            let known = try await server.makeUser()
            try await server.deliverMail()
            func snapshot() async throws -> [Int] {
                [
                    try await UserRecord.query(on: server.app.db).count(),
                    try await OneTimeTokenRecord.query(on: server.app.db).count(),
                    try await OutboxMessageRecord.query(on: server.app.db).count(),
                    try await server.app.db.sql.raw("SELECT COUNT(*) AS n FROM link_requests").first()!.decode(column: "n", as: Int.self),
                ]
            }
            for path in ["/auth/forgot-password", "/auth/resend-verification"] {
                for email in [known, "nobody-\(UUID().uuidString.prefix(6))@example.com"] {
                    let before = try await snapshot()
                    let answer = try await server.browser().send(.POST, path, json: ["email": email], csrf: .anonymous)
                    #expect(answer.status == .accepted)
                    let after = try await snapshot()
                    #expect(after == [before[0], before[1], before[2], before[3] + 1], "\(path) \(email)")
                    try await server.deliverMail()
                }
            }
        }
    }

    @Test("a spent anonymous CSRF token stays spent through the clock leeway after its expiry")
    func spentTokenTail() async throws {
        try await withServer() { server in
            let browser = try server.browser()
            let token = try await browser.anonymousCSRF()
            let first = try await browser.send(.POST, "/auth/forgot-password", json: ["email": "a@example.com"], csrf: .value(token))
            #expect(first.status == .accepted)
            server.clock.advance(by: 3600 + 10)  // past exp, inside the 30 s leeway
            try await SpentTokenRecord.prune(now: server.clock.now(), on: server.app.db)  // what housekeeping runs
            let replay = try await browser.send(.POST, "/auth/forgot-password", json: ["email": "a@example.com"], csrf: .value(token))
            #expect(replay.status == .forbidden && replay.problemCode == "csrf_invalid")
        }
    }

    @Test("queued mail holds no readable link at rest, and a mail given up on is wiped")
    func outboxSealedAndWiped() async throws {
        try await withServer() { server in
            _ = try await server.register("sealed@example.com")
            let stored = try #require(try await OutboxMessageRecord.query(on: server.app.db).first())
            #expect(!stored.textBody.contains("token=") && !stored.htmlBody.contains("token="))
            #expect(stored.textBody.hasPrefix("sealed:v1:"))
            server.mailer.failNext(100)
            for _ in 0..<12 {
                try await server.deliverMail()
                server.clock.advance(by: 3601)
            }
            let failed = try #require(try await OutboxMessageRecord.query(on: server.app.db).first())
            #expect(failed.failedAt != nil && failed.textBody.isEmpty && failed.htmlBody.isEmpty)
        }
    }
}

import Fluent
import Foundation
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

/// Abuse resistance (CONTRACT "Abuse resistance and account safety"): limits before state changes,
/// a per-account throttle that spares known devices, theft that stays detectable.
@Suite("Abuse resistance", .onEveryDatabase)
struct AbuseTests {
    static func expectLimited(_ response: TestingHTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == .tooManyRequests, sourceLocation: sourceLocation)
        #expect(response.problemCode == "rate_limited", sourceLocation: sourceLocation)
        #expect(Int(response.headers.first(name: "Retry-After") ?? "") ?? 0 > 0, sourceLocation: sourceLocation)
    }

    @Test("registrations from one address are limited before anything is hashed, stored or mailed")
    func registerLimited() async throws {
        try await withServer() { server in
            for index in 0..<30 { #expect(try await server.register("r\(index)@example.com").status == .accepted) }
            Self.expectLimited(try await server.register("one-too-many@example.com"))
            #expect(try await UserRecord.query(on: server.app.db).filter(\.$email == "one-too-many@example.com").count() == 0)
            #expect(try await server.deliverMail().allSatisfy { $0.to != "one-too-many@example.com" })
            server.clock.advance(by: 901)
            #expect(try await server.register("one-too-many@example.com").status == .accepted)
        }
    }

    @Test("forgot-password and resend share one limit per address; reset has its own")
    func mailRequestsLimited() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let browser = try server.browser()
            for index in 0..<30 {
                let path = index.isMultiple(of: 2) ? "/auth/forgot-password" : "/auth/resend-verification"
                #expect(try await browser.send(.POST, path, json: ["email": email], csrf: .anonymous).status == .accepted)
            }
            Self.expectLimited(try await browser.send(.POST, "/auth/forgot-password", json: ["email": email], csrf: .anonymous))
            Self.expectLimited(try await browser.send(.POST, "/auth/resend-verification", json: ["email": email], csrf: .anonymous))
            for _ in 0..<30 {
                let reset = try await browser.send(
                    .POST, "/auth/reset-password", json: ["token": "guess", "newPassword": "a new password 1"], csrf: .anonymous)
                #expect(reset.problemCode == "invalid_token")
            }
            Self.expectLimited(try await browser.send(
                .POST, "/auth/reset-password", json: ["token": "guess", "newPassword": "a new password 1"], csrf: .anonymous))
        }
    }

    @Test("guessing the current password on change-password counts as login attempts on the account")
    func changePasswordGuessesCount() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let thief = try await server.login(email)
            for _ in 0..<10 {
                let guess = try await thief.send(
                    .POST, "/auth/change-password", json: ["currentPassword": "guess", "newPassword": "thief's password 1"], csrf: .held)
                #expect(guess.problemCode == "invalid_credentials")
            }
            Self.expectLimited(try await thief.send(
                .POST, "/auth/change-password", json: ["currentPassword": TestServer.password, "newPassword": "thief's password 1"], csrf: .held))
            Self.expectLimited(try await server.browser().send(
                .POST, "/auth/login", json: ["email": email, "password": TestServer.password], csrf: .anonymous))
        }
    }

    @Test("guessing from many addresses is slowed per account, and a browser that signed in before keeps its way in")
    func perAccountThrottleSparesKnownDevices() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let owner = try await server.login(email)
            #expect(owner.cookies["gatehouse_device"]?.path == "/auth/login")
            _ = try await owner.send(.POST, "/auth/logout", csrf: .held)

            // Strangers at 20 addresses, one wrong guess each: no address reaches its own limit, but
            // the account's is reached.
            let throttle = LoginThrottle(rateLimiter: RateLimiter(limits: RateLimits()))
            for stranger in 0..<20 {
                let client = ClientInfo(userAgent: "bot", ipAddress: "192.0.2.\(stranger)", rateLimitKey: "192.0.2.\(stranger)")
                try await throttle.count(.init(account: email, client: client, knownDevice: nil), now: server.clock.now(), on: server.app.db.sql)
            }
            Self.expectLimited(try await server.browser().send(
                .POST, "/auth/login", json: ["email": email, "password": TestServer.password], csrf: .anonymous))
            let again = try await owner.send(.POST, "/auth/login", json: ["email": email, "password": TestServer.password], csrf: .anonymous)
            #expect(again.status == .ok, "the known device is not locked out")

            // A device cookie names one account: it does not spare guesses on another.
            let other = try await server.makeUser()
            for stranger in 0..<20 {
                let client = ClientInfo(userAgent: "bot", ipAddress: "198.51.100.\(stranger)", rateLimitKey: "198.51.100.\(stranger)")
                try await throttle.count(.init(account: other, client: client, knownDevice: nil), now: server.clock.now(), on: server.app.db.sql)
            }
            Self.expectLimited(try await owner.send(
                .POST, "/auth/login", json: ["email": other, "password": TestServer.password], csrf: .anonymous))
        }
    }

    @Test("GET /auth/session judges the refresh token as a refresh does: a retired one ends the session")
    func bootstrapAppliesReuseRule() async throws {
        try await withServer() { server in
            let victim = try await server.login(try await server.makeUser())
            let thief = victim.copy()
            #expect(try await victim.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            // Within the grace window the predecessor still finds the session (a racing tab).
            #expect(try await thief.send(.GET, "/auth/session").json()["authenticated"] as? Bool == true)
            server.clock.advance(by: 6)
            #expect(try await thief.send(.GET, "/auth/session").json()["authenticated"] as? Bool == false)
            #expect(try await victim.send(.POST, "/auth/refresh", csrf: .held).problemCode == "session_expired")
            #expect(try await server.notableEvents() == ["refresh_token_reuse"])
        }
    }

    @Test("a login that arrives with a genuine refresh cookie ends that earlier session")
    func loginEndsEarlierSession() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let browser = try await server.login(email)
            let earlier = browser.copy()
            let second = try await browser.send(.POST, "/auth/login", json: ["email": email, "password": TestServer.password], csrf: .anonymous)
            #expect(second.status == .ok)
            #expect(try await earlier.send(.GET, "/auth/session").json()["authenticated"] as? Bool == false)
            #expect(try await browser.send(.GET, "/auth/sessions").jsonArray().count == 1)
        }
    }
}

@Suite("Unicode, HSTS and what is logged", .onEveryDatabase)
struct NormalisationTests {
    @Test("a password typed composed or decomposed is the same password; look-alike address forms are one account")
    func nfkc() async throws {
        try await withServer() { server in
            let composed = "caf\u{E9} au lait 2024"  // é as one scalar
            let decomposed = "cafe\u{301} au lait 2024"  // e + combining acute
            let email = try await server.makeUser(password: composed)
            _ = try await server.login(email, password: decomposed)
            // Fullwidth letters and the Kelvin sign are compatibility forms of ASCII ones.
            let fullwidth = email.replacingOccurrences(of: "user", with: "\u{FF55}\u{FF53}\u{FF45}\u{FF52}")
            _ = try await server.login(fullwidth, password: composed)
            #expect(try await server.register("\u{212A}ate@example.com").status == .accepted)
            #expect(try await UserRecord.query(on: server.app.db).filter(\.$email == "kate@example.com").count() == 1)
        }
    }

    @Test("Strict-Transport-Security only when the public URL is https")
    func hsts() async throws {
        try await withServer(configure: { $0.authURL = "https://auth.example.com" }) { server in
            let answer = try await server.browser().send(.GET, "/actuator/health")
            #expect(answer.headers.first(name: "Strict-Transport-Security") == "max-age=31536000; includeSubDomains")
        }
        try await withServer() { server in
            let answer = try await server.browser().send(.GET, "/actuator/health")
            #expect(answer.headers.first(name: "Strict-Transport-Security") == nil)
        }
    }
}

@Suite("Security activity", .onEveryDatabase)
struct SecurityActivityTests {
    @Test("GET /auth/security-events lists the caller's own events, newest first, with address and browser")
    func ownEventsNewestFirst() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            _ = try await server.browser().send(.POST, "/auth/login", json: ["email": email, "password": "wrong"], csrf: .anonymous)
            server.clock.advance(by: 1)
            let browser = try server.browser()
            let login = try await browser.send(
                .POST, "/auth/login", json: ["email": email, "password": TestServer.password], csrf: .anonymous,
                headers: ["User-Agent": "Firefox/130"])
            #expect(login.status == .ok)
            server.clock.advance(by: 1)
            #expect(try await browser.send(
                .POST, "/auth/change-password", json: ["currentPassword": TestServer.password, "newPassword": "a brand new passphrase"],
                csrf: .held).status == .ok)
            let events = try await browser.send(.GET, "/auth/security-events").jsonArray()
            #expect(events.map { $0["kind"] as? String } == ["password_changed", "login", "login_failed"])
            // Ending another session is recorded too (a password change already ended the others).
            let second = try await server.login(email, password: "a brand new passphrase")
            server.clock.advance(by: 1)
            #expect(try await second.send(.POST, "/auth/sessions/revoke-others", csrf: .held).status == .ok)
            #expect(try await second.send(.GET, "/auth/security-events").jsonArray().first?["kind"] as? String == "sessions_revoked")
            #expect(events[1]["userAgent"] as? String == "Firefox/130")
            #expect(events[1]["ipAddress"] as? String != nil && events[1]["at"] as? String != nil)
            // Someone else's events are not listed.
            let other = try await server.login(try await server.makeUser())
            #expect(try await other.send(.GET, "/auth/security-events").jsonArray().map { $0["kind"] as? String } == ["login"])
            #expect(try await server.browser().send(.GET, "/auth/security-events").status == .unauthorized)
        }
    }
}

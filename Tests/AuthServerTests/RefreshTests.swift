import Foundation
import GatehouseCore
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

@Suite("Refresh-token rotation", .onEveryDatabase)
struct RefreshTests {
    @Test("a refresh rotates the refresh token and keeps the session")
    func rotates() async throws {
        try await withServer() { server in
            let browser = try await server.login(try await server.makeUser())
            let before = browser.cookies["refresh_token"]?.value
            server.clock.advance(by: 10)
            let response = try await browser.send(.POST, "/auth/refresh", csrf: .held)
            #expect(response.status == .ok)
            #expect(try response.json()["accessTokenExpiresAt"] is String)
            #expect(browser.cookies["refresh_token"]?.value != before)
            #expect(try await browser.send(.GET, "/auth/user").status == .ok)
        }
    }

    @Test("a refresh token from before tokens carried their session's expiry still rotates, and its successor carries it")
    func tokenWithoutSessionExpiryRotates() async throws {
        try await withServer() { server in
            let browser = try await server.login(try await server.makeUser())
            let session = try #require(try await SessionRecord.query(on: server.app.db).first())
            let keys = try KeyStore(
                directory: KeyDirectory(
                    path: server.configuration.keysDirectory, algorithm: server.configuration.signingAlgorithm,
                    retention: server.configuration.longestTokenLifetime),
                clock: server.clock)
            let now = server.clock.now()
            let old = try TokenIssuer(keys: keys).sign(RefreshTokenClaims(
                iss: server.configuration.authURL, aud: server.configuration.authURL, sub: UserID(uuid: session.userID),
                sid: try session.sessionID, jti: TokenID(uuid: session.currentJTI), issuedAt: now, expiresAt: now + 3600))
            browser.cookies["refresh_token"]?.value = old
            #expect(try await browser.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            let successor = try #require(browser.cookies["refresh_token"]?.value)
            let claims = Tamper.json(Tamper.segments(successor)[1])
            #expect(claims["sxp"] as? Int == Int(session.expiresAt.timeIntervalSince1970))
            #expect(try await browser.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
        }
    }

    @Test("two tabs racing with one cookie both succeed with the same successor")
    func graceReturnsSameSuccessor() async throws {
        try await withServer() { server in
            let first = try await server.login(try await server.makeUser())
            let second = first.copy()
            #expect(try await first.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            server.clock.advance(by: 2)
            let late = try await second.send(.POST, "/auth/refresh", csrf: .held)
            #expect(late.status == .ok)
            #expect(second.cookies["refresh_token"]?.value == first.cookies["refresh_token"]?.value)
            // The jar's token is still current: the next refresh works from either tab.
            #expect(try await second.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
        }
    }

    @Test("the predecessor after the grace window revokes the whole session and is recorded")
    func reuseAfterGraceRevokes() async throws {
        try await withServer() { server in
            let victim = try await server.login(try await server.makeUser())
            let thief = victim.copy()
            #expect(try await victim.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            server.clock.advance(by: 6)
            let replay = try await thief.send(.POST, "/auth/refresh", csrf: .held)
            #expect(replay.status == .unauthorized && replay.problemCode == "session_expired")
            #expect(replay.setCookies["refresh_token"]?.maxAge == 0)
            #expect(replay.setCookies["access_token"]?.maxAge == 0)
            #expect(try await victim.send(.POST, "/auth/refresh", csrf: .held).problemCode == "session_expired")
            #expect(try await server.notableEvents() == ["refresh_token_reuse"])
        }
    }

    @Test("a token two generations old revokes the session even inside the window")
    func olderTokenRevokes() async throws {
        try await withServer() { server in
            let tab = try await server.login(try await server.makeUser())
            let oldest = tab.copy()
            #expect(try await tab.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            #expect(try await tab.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            #expect(try await oldest.send(.POST, "/auth/refresh", csrf: .held).problemCode == "session_expired")
            #expect(try await tab.send(.POST, "/auth/refresh", csrf: .held).problemCode == "session_expired")
        }
    }

    @Test("an expired access token gets 401 with the Refresh challenge, an absent one without")
    func expiredAccessToken() async throws {
        try await withServer() { server in
            let browser = try await server.login(try await server.makeUser())
            server.clock.advance(by: 900 + 31)
            let expired = try await browser.send(.GET, "/auth/validate")
            #expect(expired.status == .unauthorized && expired.problemCode == "token_expired")
            #expect(expired.headers.first(name: .wwwAuthenticate) == "Refresh")
            #expect(try await browser.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            #expect(try await browser.send(.GET, "/auth/validate").status == .ok)
            let absent = try await server.browser().send(.GET, "/auth/validate")
            #expect(absent.problemCode == "unauthenticated")
            #expect(absent.headers.first(name: .wwwAuthenticate) != "Refresh")
        }
    }

    @Test("no refresh extends a session past its absolute lifetime")
    func absoluteLifetime() async throws {
        try await withServer(configure: { $0.sessionMaxAge = 3600; $0.refreshTokenTTL = 1800 }) { server in
            let browser = try await server.login(try await server.makeUser())
            server.clock.advance(by: 1700)
            #expect(try await browser.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            server.clock.advance(by: 1700)
            #expect(try await browser.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            server.clock.advance(by: 300)
            #expect(try await browser.send(.POST, "/auth/refresh", csrf: .held).problemCode == "session_expired")
        }
    }

    @Test("a session CSRF token of another session is refused on refresh")
    func csrfOfAnotherSession() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let first = try await server.login(email)
            let second = try await server.login(email)
            let response = try await first.send(.POST, "/auth/refresh", csrf: .value(second.csrfToken!))
            #expect(response.status == .forbidden && response.problemCode == "csrf_invalid")
            let anonymous = try await first.send(.POST, "/auth/refresh", csrf: .anonymous)
            #expect(anonymous.problemCode == "csrf_invalid")
        }
    }

    @Test("a reloaded page finds its session without rotating the refresh token")
    func sessionBootstrap() async throws {
        try await withServer() { server in
            let browser = try await server.login(try await server.makeUser())
            let refresh = browser.cookies["refresh_token"]?.value
            let body = try await browser.send(.GET, "/auth/session").json()
            #expect(body["authenticated"] as? Bool == true)
            #expect(body["user"] is [String: Any] && body["csrfToken"] is String)
            #expect(browser.cookies["refresh_token"]?.value == refresh)
            #expect(try await browser.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            let anonymous = try await server.browser().send(.GET, "/auth/session").json()
            #expect(anonymous["authenticated"] as? Bool == false && anonymous["csrfToken"] is String)
        }
    }

    @Test("logout ends the session, clears cookies and can be repeated")
    func logout() async throws {
        try await withServer() { server in
            let browser = try await server.login(try await server.makeUser())
            let stale = browser.copy()
            let response = try await browser.send(.POST, "/auth/logout", csrf: .held)
            #expect(response.status == .ok)
            #expect(response.setCookies["access_token"]?.maxAge == 0 && response.setCookies["refresh_token"]?.path == "/auth")
            #expect(try await browser.send(.POST, "/auth/logout", csrf: .held).status == .ok)
            #expect(try await stale.send(.POST, "/auth/refresh", csrf: .held).problemCode == "session_expired")
            #expect(try await stale.send(.GET, "/auth/user").status == .unauthorized)
        }
    }
}

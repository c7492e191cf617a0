import Foundation
import Testing
@testable import GatehouseCore

@Suite("CSRF tokens")
struct CSRFCheckTests {
    func check(_ fixture: TokenFixture) -> CSRFCheck { CSRFCheck(verifier: fixture.verifier()) }

    @Test("a session token is accepted only for its own session")
    func sessionTokenBoundToSession() async throws {
        let fixture = try TokenFixture()
        let sid = SessionID.random()
        let token = try fixture.sign(CSRFTokenClaims.session(sid, issuer: TokenFixture.issuer, issuedAt: fixture.clock.now(), expiresAt: fixture.clock.now() + 60))
        #expect(await check(fixture).check(header: token, requirement: .session, callerSession: sid) != nil)
        #expect(await check(fixture).check(header: token, requirement: .session, callerSession: .random()) == nil)
    }

    @Test("a session token is refused where a session is required but the caller's session is unknown (fails closed)")
    func sessionTokenNeedsKnownCaller() async throws {
        let fixture = try TokenFixture()
        let token = try fixture.sign(CSRFTokenClaims.session(.random(), issuer: TokenFixture.issuer, issuedAt: fixture.clock.now(), expiresAt: fixture.clock.now() + 60))
        #expect(await check(fixture).check(header: token, requirement: .session, callerSession: nil) == nil)
        // Anonymous routes take a session token as proof the request comes from the SPA (documented).
        #expect(await check(fixture).check(header: token, requirement: .anonymousOrSession, callerSession: nil) != nil)
    }

    @Test("an anonymous token never passes where a session token is required")
    func anonymousNotForSessionRoutes() async throws {
        let fixture = try TokenFixture()
        let token = try fixture.sign(CSRFTokenClaims.anonymous(issuer: TokenFixture.issuer, issuedAt: fixture.clock.now()))
        #expect(await check(fixture).check(header: token, requirement: .session, callerSession: nil) == nil)
        #expect(await check(fixture).check(header: token, requirement: .anonymousOrSession, callerSession: nil) != nil)
    }

    @Test("an anonymous token expires after one hour")
    func anonymousExpires() async throws {
        let fixture = try TokenFixture()
        let token = try fixture.sign(CSRFTokenClaims.anonymous(issuer: TokenFixture.issuer, issuedAt: fixture.clock.now()))
        fixture.clock.advance(by: 3600 + 31)
        #expect(await check(fixture).check(header: token, requirement: .anonymousOrSession, callerSession: nil) == nil)
    }

    @Test("an access token in the CSRF header is refused")
    func accessTokenIsNotCSRF() async throws {
        let fixture = try TokenFixture()
        let token = try fixture.sign(fixture.access())
        #expect(await check(fixture).check(header: token, requirement: .anonymousOrSession, callerSession: nil) == nil)
        #expect(await check(fixture).check(header: nil, requirement: .anonymousOrSession, callerSession: nil) == nil)
    }
}

@Suite("The cookie policy")
struct CookiePolicyTests {
    @Test("the access cookie lives as long as the session, the refresh cookie is host-only under /auth")
    func attributes() {
        let policy = CookiePolicy(secure: true, accessTokenDomain: "example.com")
        let now = Date()
        let access = policy.accessToken("a", sessionExpiresAt: now + 1000, now: now)
        let refresh = policy.refreshToken("r", expiresAt: now + 500, now: now)
        #expect(access.maxAge == 1000 && access.path == "/" && access.domain == "example.com")
        #expect(refresh.maxAge == 500 && refresh.path == "/auth" && refresh.domain == nil)
        #expect([access, refresh].allSatisfy { $0.httpOnly && $0.secure && $0.sameSite == .lax })
        #expect(policy.cleared().allSatisfy { $0.maxAge == 0 && $0.value.isEmpty })
    }
}

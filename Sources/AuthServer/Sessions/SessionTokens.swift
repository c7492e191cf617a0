import Foundation
import GatehouseCore

/// Everything a browser receives when a session starts or is refreshed.
struct IssuedTokens: Sendable {
    let sessionID: SessionID
    let accessToken: String
    let accessTokenExpiresAt: Date
    let refreshToken: String
    let refreshTokenExpiresAt: Date
    let sessionExpiresAt: Date
    let csrfToken: String
}

/// Mints the three tokens of a session with the configured lifetimes. No lifetime outlives the session.
struct SessionTokens: Sendable {
    let issuer: TokenIssuer
    let authURL: String
    let resourceURL: String
    let accessTokenTTL: TimeInterval
    let refreshTokenTTL: TimeInterval

    func accessToken(for user: UserRecord, session: SessionID, sessionExpiresAt: Date, now: Date) throws -> (String, Date) {
        let expiresAt = min(now + accessTokenTTL, sessionExpiresAt)
        let claims = AccessTokenClaims(
            iss: authURL, aud: [authURL, resourceURL], sub: UserID(uuid: try user.requireID()), sid: session,
            issuedAt: now, expiresAt: expiresAt, roles: user.roleList, email: user.email,
            givenName: user.firstName, familyName: user.lastName)
        return (try issuer.sign(claims), Date(timeIntervalSince1970: TimeInterval(claims.exp)))
    }

    func refreshToken(user: UserID, session: SessionID, jti: TokenID, sessionExpiresAt: Date, now: Date) throws -> (String, Date) {
        let expiresAt = min(now + refreshTokenTTL, sessionExpiresAt)
        let claims = RefreshTokenClaims(iss: authURL, aud: authURL, sub: user, sid: session, jti: jti, issuedAt: now, expiresAt: expiresAt)
        return (try issuer.sign(claims), Date(timeIntervalSince1970: TimeInterval(claims.exp)))
    }

    func sessionCSRF(_ session: SessionID, sessionExpiresAt: Date, now: Date) throws -> String {
        try issuer.sign(CSRFTokenClaims.session(session, issuer: authURL, issuedAt: now, expiresAt: sessionExpiresAt))
    }

    func anonymousCSRF(now: Date) throws -> String {
        try issuer.sign(CSRFTokenClaims.anonymous(issuer: authURL, issuedAt: now))
    }

    /// All three tokens for `session`, with `refresh` as the refresh token when it is already minted.
    func issue(for user: UserRecord, session: SessionRecord, refresh: (String, Date), now: Date) throws -> IssuedTokens {
        let sid = SessionID(uuid: try session.requireID())
        let (access, accessExpiry) = try accessToken(for: user, session: sid, sessionExpiresAt: session.expiresAt, now: now)
        return IssuedTokens(
            sessionID: sid, accessToken: access, accessTokenExpiresAt: accessExpiry,
            refreshToken: refresh.0, refreshTokenExpiresAt: refresh.1, sessionExpiresAt: session.expiresAt,
            csrfToken: try sessionCSRF(sid, sessionExpiresAt: session.expiresAt, now: now))
    }
}

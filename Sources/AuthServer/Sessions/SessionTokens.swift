import Foundation
import GatehouseCore

/// A signed token and the moment it expires.
struct MintedToken: Sendable, Equatable {
    let token: String
    let expiresAt: Date
}

/// Everything a browser receives when a session starts or is refreshed.
struct IssuedTokens: Sendable {
    let sessionID: SessionID
    let access: MintedToken
    let refresh: MintedToken
    let sessionExpiresAt: Date
    let csrfToken: String
}

/// Mints the tokens of a session with the configured lifetimes. No lifetime outlives the session.
/// The only place that signs session tokens.
struct SessionTokens: Sendable {
    let issuer: TokenIssuer
    let authURL: String
    let resourceURL: String
    let accessTokenTTL: TimeInterval
    let refreshTokenTTL: TimeInterval

    func accessToken(for account: Account, session: SessionID, sessionExpiresAt: Date, now: Date) throws -> MintedToken {
        let expiresAt = min(now + accessTokenTTL, sessionExpiresAt)
        let claims = AccessTokenClaims(
            iss: authURL, aud: [authURL, resourceURL], sub: account.id, sid: session,
            issuedAt: now, expiresAt: expiresAt, roles: account.roles, email: account.email,
            givenName: account.firstName, familyName: account.lastName)
        return MintedToken(token: try issuer.sign(claims), expiresAt: claims.expiresAt)
    }

    func refreshToken(user: UserID, session: SessionID, jti: TokenID, sessionExpiresAt: Date, now: Date) throws -> MintedToken {
        let expiresAt = min(now + refreshTokenTTL, sessionExpiresAt)
        let claims = RefreshTokenClaims(
            iss: authURL, aud: authURL, sub: user, sid: session, jti: jti, issuedAt: now, expiresAt: expiresAt,
            sessionExpiresAt: sessionExpiresAt)
        return MintedToken(token: try issuer.sign(claims), expiresAt: claims.expiresAt)
    }

    func sessionCSRF(_ session: SessionID, sessionExpiresAt: Date, now: Date) throws -> String {
        try issuer.sign(CSRFTokenClaims.session(session, issuer: authURL, issuedAt: now, expiresAt: sessionExpiresAt))
    }

    func anonymousCSRF(now: Date) throws -> String {
        try issuer.sign(CSRFTokenClaims.anonymous(issuer: authURL, issuedAt: now))
    }

    /// The access and CSRF tokens for session `sid`, around its already minted refresh token.
    func issue(for account: Account, session sid: SessionID, sessionExpiresAt: Date, refresh: MintedToken, now: Date) throws -> IssuedTokens {
        IssuedTokens(
            sessionID: sid,
            access: try accessToken(for: account, session: sid, sessionExpiresAt: sessionExpiresAt, now: now),
            refresh: refresh, sessionExpiresAt: sessionExpiresAt,
            csrfToken: try sessionCSRF(sid, sessionExpiresAt: sessionExpiresAt, now: now))
    }
}

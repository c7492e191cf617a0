import Foundation

/// What a CSRF token is for: before login (single use) or bound to one session.
public enum CSRFPurpose: String, Codable, Sendable {
    case anonymous = "anon_csrf"
    case session = "auth_csrf"
}

/// The claims of a `csrf+jwt` token, as signed. Use ``CSRFToken`` once verified.
public struct CSRFTokenClaims: TokenClaims, Equatable {
    public static let tokenType = TokenType.csrf

    public var iss: String
    public var aud: Audience?
    public var purpose: CSRFPurpose
    public var sid: SessionID?
    public var jti: TokenID
    public var iat: Int64
    public var nbf: Int64?
    public var exp: Int64

    /// An anonymous token: single use, one hour.
    public static func anonymous(issuer: String, issuedAt: Date, lifetime: TimeInterval = 3600) -> CSRFTokenClaims {
        CSRFTokenClaims(
            iss: issuer, aud: nil, purpose: .anonymous, sid: nil, jti: .random(),
            iat: numericDate(issuedAt), nbf: nil, exp: numericDate(issuedAt + lifetime))
    }

    /// A session token: bound to `session`, valid as long as the session may live.
    public static func session(_ session: SessionID, issuer: String, issuedAt: Date, expiresAt: Date) -> CSRFTokenClaims {
        CSRFTokenClaims(
            iss: issuer, aud: nil, purpose: .session, sid: session, jti: .random(),
            iat: numericDate(issuedAt), nbf: nil, exp: numericDate(expiresAt))
    }
}

/// A verified CSRF token, in a shape where an anonymous token cannot carry a session and a session
/// token cannot lack one.
public enum CSRFToken: Sendable, Equatable {
    case anonymous(id: TokenID, expiresAt: Date)
    case session(SessionID, id: TokenID)

    init?(_ claims: CSRFTokenClaims) {
        switch (claims.purpose, claims.sid) {
        case (.anonymous, nil): self = .anonymous(id: claims.jti, expiresAt: claims.expiresAt)
        case (.session, let sid?): self = .session(sid, id: claims.jti)
        default: return nil
        }
    }
}

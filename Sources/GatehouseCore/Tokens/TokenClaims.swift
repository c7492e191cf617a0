import Foundation

/// The `typ` header of each kind of token. No verifier accepts one kind in place of another.
public enum TokenType: String, Sendable, Codable {
    case access = "at+jwt"
    case refresh = "rt+jwt"
    case csrf = "csrf+jwt"
    /// The federated-login state cookie; never accepted anywhere else.
    case federationState = "fedstate+jwt"
    /// A browser that has signed in to an account before (the login throttle's known device).
    case device = "device+jwt"
    /// Between a correct password and the second factor: names the account, lives five minutes.
    case mfa = "mfa+jwt"
    /// A Security Event Token (RFC 8417) pushed to an application (RFC 8935), e.g. an account deleted.
    case securityEvent = "secevent+jwt"
}

/// Claims of one kind of token, with the registered claims every verifier checks.
public protocol TokenClaims: Codable, Sendable {
    static var tokenType: TokenType { get }
    /// Whether the token must name the verifier's audience (access tokens), rather than only when present.
    static var requiresAudience: Bool { get }
    var iss: String { get }
    var aud: Audience? { get }
    var iat: Int64 { get }
    var nbf: Int64? { get }
    var exp: Int64 { get }
}

extension TokenClaims {
    public static var requiresAudience: Bool { false }
    public var expiresAt: Date { Date(timeIntervalSince1970: TimeInterval(exp)) }
}

/// The `aud` claim: a string or an array of strings on the wire (RFC 7519 §4.1.3), a list here.
public struct Audience: Codable, Sendable, Equatable {
    public var values: [String]

    public init(_ values: [String]) { self.values = values }

    public func contains(_ audience: String) -> Bool { values.contains(audience) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let single = try? container.decode(String.self) {
            values = [single]
        } else {
            values = try container.decode([String].self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if values.count == 1 { try container.encode(values[0]) } else { try container.encode(values) }
    }
}

/// Converts a `Date` to a NumericDate (whole seconds since the epoch).
@inlinable
public func numericDate(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }

/// The access token (RFC 9068 profile): short-lived, never stored, carried in the `access_token` cookie.
public struct AccessTokenClaims: TokenClaims, Equatable {
    public static let tokenType = TokenType.access
    public static let requiresAudience = true

    public var iss: String
    public var aud: Audience?
    public var sub: UserID
    public var sid: SessionID
    public var iat: Int64
    public var nbf: Int64?
    public var exp: Int64
    public var jti: TokenID
    public var roles: [String]
    public var email: String
    public var given_name: String
    public var family_name: String

    public init(
        iss: String, aud: [String], sub: UserID, sid: SessionID, issuedAt: Date, expiresAt: Date,
        jti: TokenID = .random(), roles: [String], email: String, givenName: String, familyName: String
    ) {
        self.iss = iss
        self.aud = Audience(aud)
        self.sub = sub
        self.sid = sid
        self.iat = numericDate(issuedAt)
        self.nbf = numericDate(issuedAt)
        self.exp = numericDate(expiresAt)
        self.jti = jti
        self.roles = roles
        self.email = email
        self.given_name = givenName
        self.family_name = familyName
    }
}

/// The refresh token: its `jti` is stored server-side, and only the current one of a session is honoured.
public struct RefreshTokenClaims: TokenClaims, Equatable {
    public static let tokenType = TokenType.refresh

    public var iss: String
    public var aud: Audience?
    public var sub: UserID
    public var sid: SessionID
    public var jti: TokenID
    public var iat: Int64
    public var nbf: Int64?
    public var exp: Int64
    /// The session's absolute expiry, which caps every successor's `exp`: with it a rotation can mint
    /// the successor before it touches the database, and rotate in a single statement.
    public var sxp: Int64?

    public init(
        iss: String, aud: String, sub: UserID, sid: SessionID, jti: TokenID, issuedAt: Date, expiresAt: Date,
        sessionExpiresAt: Date? = nil
    ) {
        self.iss = iss
        self.aud = Audience([aud])
        self.sub = sub
        self.sid = sid
        self.jti = jti
        self.iat = numericDate(issuedAt)
        self.nbf = nil
        self.exp = numericDate(expiresAt)
        self.sxp = sessionExpiresAt.map(numericDate)
    }

    /// ``sxp`` as a date, when the token carries it.
    public var sessionExpiresAt: Date? { sxp.map { Date(timeIntervalSince1970: TimeInterval($0)) } }
}

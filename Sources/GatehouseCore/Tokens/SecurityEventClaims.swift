import Foundation

/// A Security Event Token (RFC 8417): the Auth Server tells an application, by a signed push
/// (RFC 8935), that something happened to an account it may keep data about. The application
/// verifies it with the JWKS it already uses for access tokens; `aud` names that application.
///
/// ```swift
/// let event = try await verifier.verify(body, as: SecurityEventClaims.self)
/// if event.events[SecurityEventClaims.accountDeleted] != nil { try await forget(event.sub) }
/// ```
public struct SecurityEventClaims: TokenClaims, Equatable {
    public static let tokenType = TokenType.securityEvent
    public static let requiresAudience = true

    /// The person's account and everything of it was deleted: forget what you keep by this `sub`.
    public static let accountDeleted = "urn:gatehouse:secevent:account-deleted"

    public var iss: String
    public var aud: Audience?
    public var iat: Int64
    public var nbf: Int64?
    /// Deliveries are retried for a while; a receiver refuses a token older than this.
    public var exp: Int64
    public var jti: TokenID
    /// The account the event is about.
    public var sub: UserID
    /// Event type URI → event details (RFC 8417 §2.2); empty objects for Gatehouse's events.
    public var events: [String: [String: String]]

    public init(iss: String, aud: String, issuedAt: Date, lifetime: TimeInterval, jti: TokenID = .random(), sub: UserID, event: String) {
        self.iss = iss
        self.aud = Audience([aud])
        self.iat = numericDate(issuedAt)
        self.nbf = nil
        self.exp = numericDate(issuedAt + lifetime)
        self.jti = jti
        self.sub = sub
        self.events = [event: [:]]
    }
}

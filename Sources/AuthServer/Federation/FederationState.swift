import Crypto
import Foundation
import GatehouseCore

/// What a browser carries through a federated login, in a short-lived signed HttpOnly cookie:
/// the `state` and `nonce` it must come back with and the PKCE verifier (RFC 7636), bound to one
/// provider. Its `jti` is spent on use, so a callback cannot be replayed.
public struct FederationStateClaims: TokenClaims, Equatable {
    public static let tokenType = TokenType.federationState

    public var iss: String
    public var aud: Audience?
    public var iat: Int64
    public var nbf: Int64?
    public var exp: Int64
    public var jti: TokenID
    public var provider: String
    public var state: String
    public var nonce: String
    public var code_verifier: String
    /// Set when a signed-in person links the provider: the account and session that asked, so the
    /// callback links rather than signs in.
    public var link: UserID?
    public var sid: SessionID?

    /// A fresh state for `provider`, valid for `lifetime` seconds; a link when `linking` names who asks.
    public static func start(
        provider: String, issuer: String, now: Date, lifetime: TimeInterval = 600, linking: (user: UserID, session: SessionID)? = nil
    ) -> FederationStateClaims {
        FederationStateClaims(
            iss: issuer, aud: nil, iat: numericDate(now), nbf: nil, exp: numericDate(now + lifetime), jti: .random(),
            provider: provider, state: Secrets.token(), nonce: Secrets.token(), code_verifier: Secrets.token(),
            link: linking?.user, sid: linking?.session)
    }

    /// The S256 code challenge of the verifier.
    public var codeChallenge: String {
        Base64URL.encode(Data(SHA256.hash(data: Data(code_verifier.utf8))))
    }
}

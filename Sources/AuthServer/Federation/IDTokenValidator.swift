import Foundation
import GatehouseCore

/// The claims Gatehouse reads from an OpenID Connect ID token.
public struct IDTokenClaims: Decodable, Sendable, Equatable {
    public var iss: String
    public var sub: String
    public var aud: Audience
    public var azp: String?
    public var exp: Int64
    public var iat: Int64
    public var nonce: String?
    public var email: String?
    public var email_verified: Bool?
    public var given_name: String?
    public var family_name: String?
    public var name: String?

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, azp, exp, iat, nonce, email, email_verified, given_name, family_name, name
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iss = try container.decode(String.self, forKey: .iss)
        sub = try container.decode(String.self, forKey: .sub)
        aud = try container.decode(Audience.self, forKey: .aud)
        azp = try container.decodeIfPresent(String.self, forKey: .azp)
        exp = try container.decode(Int64.self, forKey: .exp)
        iat = try container.decode(Int64.self, forKey: .iat)
        nonce = try container.decodeIfPresent(String.self, forKey: .nonce)
        email = try container.decodeIfPresent(String.self, forKey: .email)
        // Some providers send "true"/"false" as strings.
        if let flag = try? container.decodeIfPresent(Bool.self, forKey: .email_verified) {
            email_verified = flag
        } else {
            email_verified = (try? container.decodeIfPresent(String.self, forKey: .email_verified)).flatMap { $0 == "true" }
        }
        given_name = try container.decodeIfPresent(String.self, forKey: .given_name)
        family_name = try container.decodeIfPresent(String.self, forKey: .family_name)
        name = try container.decodeIfPresent(String.self, forKey: .name)
    }
}

/// Why an ID token was refused, each a distinct error code for the SPA.
public enum IDTokenRejection: String, Error, Sendable {
    case malformed = "invalid_id_token"
    case signature = "invalid_signature"
    case issuer = "wrong_issuer"
    case audience = "wrong_audience"
    case expired = "id_token_expired"
    case nonce = "invalid_nonce"
}

/// ID-token validation as OpenID Connect Core 1.0 §3.1.3.7 says: signature with the provider's key
/// named by `kid` (algorithm fixed by that key, RS256/ES256 only, never `none` or HMAC), `iss` equal
/// to the provider's issuer, `aud` exactly our client id (no other audience), `azp` equal to it when present, `exp` in the future, `iat` not in the future, `nonce` equal to ours.
public struct IDTokenValidator: Sendable {
    public let keys: any VerificationKeyProvider
    /// Accepted `iss` values (Google has two spellings).
    public let issuers: Set<String>
    public let clientID: String
    public let leeway: TimeInterval
    public let clock: any WallClock

    public init(keys: any VerificationKeyProvider, issuers: Set<String>, clientID: String, leeway: TimeInterval, clock: any WallClock) {
        self.keys = keys
        self.issuers = issuers
        self.clientID = clientID
        self.leeway = leeway
        self.clock = clock
    }

    public func validate(_ token: String, nonce expected: String) async throws(IDTokenRejection) -> IDTokenClaims {
        let payload: Data
        switch await ProviderSignature.check(token, against: keys) {
        case .verified(let verified): payload = verified
        case .malformed: throw .malformed
        case .unverified: throw .signature
        }
        guard let claims = try? JSONDecoder().decode(IDTokenClaims.self, from: payload) else { throw .malformed }
        guard issuers.contains(claims.iss) else { throw .issuer }
        // OIDC Core §3.1.3.7 step 3: refused when it also names audiences we do not trust (we trust none).
        guard claims.aud.values == [clientID] else { throw .audience }
        if let azp = claims.azp { guard azp == clientID else { throw .audience } }
        let now = clock.now().timeIntervalSince1970
        guard TimeInterval(claims.exp) + leeway > now else { throw .expired }
        guard TimeInterval(claims.iat) <= now + leeway else { throw .malformed }
        guard let nonce = claims.nonce, Secrets.constantTimeEquals(nonce, expected) else { throw .nonce }
        return claims
    }
}

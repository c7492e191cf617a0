import Foundation

/// Why a token was refused. Only `expired` may lead to a refresh: every other failure means "absent".
public enum TokenRejection: Error, Sendable, Equatable {
    /// Genuine, of the right kind and audience, but past `exp` (leeway included).
    case expired
    /// Malformed, forged, of another kind, issuer or audience, not yet valid, or signed by an unknown key.
    case invalid
}

/// The one place that decides whether a token is genuine. Every token Gatehouse reads goes through it.
///
/// Checks, in order: size and shape; `typ` equal to the claims' kind; `crit` absent; `kid` naming a
/// known key; `alg` equal to that key's algorithm (never chosen by the token); signature; `iss`;
/// `aud` (required for access tokens, otherwise checked where present); `nbf` and `iat` not in the
/// future; then `exp`. Leeway applies to the three times.
///
/// ```swift
/// let verifier = TokenVerifier(keys: keyStore, issuer: "http://localhost:9000",
///                              audience: "http://localhost:8080", leeway: 30, clock: SystemClock())
/// let claims = try await verifier.verify(cookie, as: AccessTokenClaims.self)
/// ```
public struct TokenVerifier: Sendable {
    public let keys: any VerificationKeyProvider
    public let issuer: String
    public let audience: String
    public let leeway: TimeInterval
    public let clock: any WallClock

    public init(keys: any VerificationKeyProvider, issuer: String, audience: String, leeway: TimeInterval, clock: any WallClock) {
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.clock = clock
    }

    /// The claims of a genuine token, or why it is refused.
    /// - Parameter acceptExpired: accept a token past `exp`, to learn which session an expired access
    ///   token belongs to (CSRF binding); never to authorise anything.
    public func verify<Claims: TokenClaims>(
        _ token: String, as _: Claims.Type = Claims.self, acceptExpired: Bool = false
    ) async throws(TokenRejection) -> Claims {
        guard let parts = CompactJWS.parse(token),
            parts.header.typ?.lowercased() == Claims.tokenType.rawValue,
            parts.header.crit == nil,
            let kid = parts.header.kid,
            let key = await keys.verificationKey(for: kid),
            parts.header.alg == key.algorithm.rawValue,
            key.isValidSignature(parts.signature, for: Data(parts.signingInput.utf8)),
            let claims = try? JSONDecoder().decode(Claims.self, from: parts.payload),
            claims.iss == issuer
        else { throw .invalid }

        if let aud = claims.aud {
            guard aud.contains(audience) else { throw .invalid }
        } else if Claims.requiresAudience {
            throw .invalid
        }

        let now = clock.now().timeIntervalSince1970
        if let nbf = claims.nbf, TimeInterval(nbf) > now + leeway { throw .invalid }
        if TimeInterval(claims.iat) > now + leeway { throw .invalid }
        guard acceptExpired || TimeInterval(claims.exp) + leeway > now else { throw .expired }
        return claims
    }
}

import Foundation

/// The signature check of a token signed by someone else, such as an OpenID provider's ID token:
/// the key named by `kid` (or, without a `kid`, the provider's only key, OIDC Core §10.1), the
/// algorithm fixed by that key and never taken from the token, `crit` refused. The caller checks
/// the claims. Gatehouse's own tokens never come here: ``TokenVerifier`` decides about those.
///
/// ```swift
/// switch await ProviderSignature.check(idToken, against: providerKeys) {
/// case .verified(let payload): let claims = try JSONDecoder().decode(IDTokenClaims.self, from: payload)
/// case .malformed, .unverified: throw ...
/// }
/// ```
public enum ProviderSignature: Sendable, Equatable {
    /// Genuine: the JSON payload, for the caller to decode and judge.
    case verified(payload: Data)
    /// Not a compact JWS Gatehouse can read, or it carries `crit`.
    case malformed
    /// No key for it, another algorithm than the key's, or a wrong signature.
    case unverified

    public static func check(_ token: String, against keys: any VerificationKeyProvider) async -> ProviderSignature {
        guard let parts = CompactJWS.parse(token), parts.header.crit == nil else { return .malformed }
        let key = if let kid = parts.header.kid { await keys.verificationKey(for: kid) } else { await keys.soleKey() }
        guard let key, parts.header.alg == key.algorithm.rawValue,
            key.isValidSignature(parts.signature, for: Data(parts.signingInput.utf8))
        else { return .unverified }
        return .verified(payload: parts.payload)
    }
}

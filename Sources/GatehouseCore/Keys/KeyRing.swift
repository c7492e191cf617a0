import Foundation

/// An immutable snapshot of the signing keys: the one that signs now, and every key that still verifies.
public struct KeyRing: Sendable {
    public let current: SigningKey
    public let verificationKeys: [String: VerificationKey]

    public init(current: SigningKey, retired: [VerificationKey] = []) {
        self.current = current
        var keys = Dictionary(retired.map { ($0.kid, $0) }, uniquingKeysWith: { first, _ in first })
        keys[current.kid] = current.publicKey
        self.verificationKeys = keys
    }

    /// The public JWKS, current key first.
    public var jwks: PublicJWKSet {
        let others = verificationKeys.values.filter { $0.kid != current.kid }.sorted { $0.kid < $1.kid }
        return PublicJWKSet(keys: [current.publicKey.jwk] + others.map(\.jwk))
    }
}

/// Where a verifier finds the public key that a token's `kid` names.
public protocol VerificationKeyProvider: Sendable {
    /// The key for `kid`, or nil when there is none (the token is then refused).
    func verificationKey(for kid: String) async -> VerificationKey?
    /// The key of a set that holds exactly one, for tokens of other issuers that may omit `kid`
    /// then (OpenID Connect Core §10.1). Gatehouse's own tokens always carry a `kid`.
    func soleKey() async -> VerificationKey?
}

extension VerificationKeyProvider {
    public func soleKey() async -> VerificationKey? { nil }
}

import Foundation

/// Signs claims with the current key of a ring, writing `alg`, `typ` and `kid` headers.
public struct TokenIssuer: Sendable {
    private let currentKey: @Sendable () -> SigningKey

    /// An issuer that always signs with the newest key of `keys`.
    public init(keys: KeyStore) {
        currentKey = { keys.ring().current }
    }

    /// An issuer with a fixed key, for tests and tools.
    public init(key: SigningKey) {
        currentKey = { key }
    }

    /// The compact JWS of `claims`, typed by their kind.
    public func sign<Claims: TokenClaims>(_ claims: Claims) throws -> String {
        try CompactJWS.sign(claims, type: Claims.tokenType, with: currentKey())
    }
}

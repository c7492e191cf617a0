import Foundation
import GatehouseTesting
@testable import GatehouseCore

/// Builders for token tests: a key ring, a verifier and claims with sensible defaults.
struct TokenFixture {
    static let issuer = "http://localhost:9000"
    static let resource = "http://localhost:8080"

    let clock = ManualClock()
    let key: SigningKey
    let ring: StaticKeys

    init(_ algorithm: SigningAlgorithm = .es256) throws {
        key = try SigningKey.generate(algorithm)
        ring = StaticKeys(keys: [key.publicKey])
    }

    func verifier(audience: String = Self.resource, leeway: TimeInterval = 30, keys: (any VerificationKeyProvider)? = nil) -> TokenVerifier {
        TokenVerifier(keys: keys ?? ring, issuer: Self.issuer, audience: audience, leeway: leeway, clock: clock)
    }

    func access(ttl: TimeInterval = 900, issuer: String = Self.issuer, audience: [String] = [Self.issuer, Self.resource]) -> AccessTokenClaims {
        AccessTokenClaims(
            iss: issuer, aud: audience, sub: .random(), sid: .random(), issuedAt: clock.now(),
            expiresAt: clock.now() + ttl, roles: ["user"], email: "ann@example.com", givenName: "Ann", familyName: "Lee")
    }

    func sign(_ claims: some TokenClaims) throws -> String {
        try TokenIssuer(key: key).sign(claims)
    }
}

import Foundation
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

/// A fixed set of verification keys.
struct StaticKeys: VerificationKeyProvider {
    let keys: [VerificationKey]
    func verificationKey(for kid: String) async -> VerificationKey? { keys.first { $0.kid == kid } }
}

/// Re-encodes a token's header or payload, keeping (now wrong) the original signature unless re-signed.
enum Tamper {
    static func segments(_ token: String) -> [String] { token.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

    static func json(_ segment: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Base64URL.decode(segment)!)) as? [String: Any] ?? [:]
    }

    static func encode(_ object: [String: Any]) -> String {
        Base64URL.encode(try! JSONSerialization.data(withJSONObject: object))
    }

    /// A token with `header` changed and signed again with `key` (or unsigned when nil).
    static func resign(_ token: String, header change: (inout [String: Any]) -> Void, payload changePayload: (inout [String: Any]) -> Void = { _ in }, with key: SigningKey?) throws -> String {
        let parts = segments(token)
        var header = json(parts[0])
        var payload = json(parts[1])
        change(&header)
        changePayload(&payload)
        let input = encode(header) + "." + encode(payload)
        guard let key else { return input + "." }
        return input + "." + Base64URL.encode(try key.sign(Data(input.utf8)))
    }
}

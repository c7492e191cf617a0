import Foundation
import GatehouseTesting
import Testing
@testable import GatehouseCore

@Suite("The token verifier")
struct TokenVerifierTests {
    @Test("accepts a genuine access token of either algorithm", arguments: SigningAlgorithm.allCases)
    func acceptsGenuineToken(algorithm: SigningAlgorithm) async throws {
        let fixture = try TokenFixture(algorithm)
        let claims = fixture.access()
        let verified = try await fixture.verifier().verify(try fixture.sign(claims), as: AccessTokenClaims.self)
        #expect(verified == claims)
    }

    @Test("says expired only for a genuine token past exp and leeway")
    func expiredAfterLeeway() async throws {
        let fixture = try TokenFixture()
        let token = try fixture.sign(fixture.access(ttl: 900))
        fixture.clock.advance(by: 900 + 29)
        _ = try await fixture.verifier(leeway: 30).verify(token, as: AccessTokenClaims.self)
        fixture.clock.advance(by: 2)
        await #expect(throws: TokenRejection.expired) { try await fixture.verifier(leeway: 30).verify(token, as: AccessTokenClaims.self) }
    }

    @Test("refuses a token of another kind")
    func refusesOtherKind() async throws {
        let fixture = try TokenFixture()
        let refresh = RefreshTokenClaims(
            iss: TokenFixture.issuer, aud: TokenFixture.resource, sub: .random(), sid: .random(), jti: .random(),
            issuedAt: fixture.clock.now(), expiresAt: fixture.clock.now() + 60)
        let token = try fixture.sign(refresh)
        await #expect(throws: TokenRejection.invalid) { try await fixture.verifier().verify(token, as: AccessTokenClaims.self) }
        // Same claims re-signed with the access typ still lack the access claims.
        let retyped = try Tamper.resign(token, header: { $0["typ"] = "at+jwt" }, with: fixture.key)
        await #expect(throws: TokenRejection.invalid) { try await fixture.verifier().verify(retyped, as: AccessTokenClaims.self) }
    }

    @Test("refuses wrong issuer and wrong audience")
    func refusesIssuerAndAudience() async throws {
        let fixture = try TokenFixture()
        let wrongIssuer = try fixture.sign(fixture.access(issuer: "http://evil.example"))
        let wrongAudience = try fixture.sign(fixture.access(audience: ["http://other.example"]))
        await #expect(throws: TokenRejection.invalid) { try await fixture.verifier().verify(wrongIssuer, as: AccessTokenClaims.self) }
        await #expect(throws: TokenRejection.invalid) { try await fixture.verifier().verify(wrongAudience, as: AccessTokenClaims.self) }
    }

    @Test("an expired forgery is invalid, not expired")
    func expiredForgeryIsInvalid() async throws {
        let fixture = try TokenFixture()
        let attacker = try SigningKey.generate(.es256)
        var claims = fixture.access(ttl: 10)
        claims.exp -= 100
        let forged = try TokenIssuer(key: attacker).sign(claims)
        let relabelled = try Tamper.resign(forged, header: { $0["kid"] = fixture.key.kid }, with: attacker)
        await #expect(throws: TokenRejection.invalid) { try await fixture.verifier().verify(relabelled, as: AccessTokenClaims.self) }
    }

    @Test("refuses alg none, alg swaps, unknown kid, missing kid and crit")
    func refusesHeaderTricks() async throws {
        let fixture = try TokenFixture()
        let token = try fixture.sign(fixture.access())
        let cases: [String] = [
            try Tamper.resign(token, header: { $0["alg"] = "none" }, with: nil),
            try Tamper.resign(token, header: { $0["alg"] = "HS256" }, with: fixture.key),
            try Tamper.resign(token, header: { $0["alg"] = "RS256" }, with: fixture.key),
            try Tamper.resign(token, header: { $0["kid"] = "unknown" }, with: fixture.key),
            try Tamper.resign(token, header: { $0.removeValue(forKey: "kid") }, with: fixture.key),
            try Tamper.resign(token, header: { $0["crit"] = ["exp"] }, with: fixture.key),
            try Tamper.resign(token, header: { _ in }, payload: { $0["sub"] = UUID().uuidString }, with: nil) + "AAAA",
            token + "x", "", "a.b", "a.b.c.d",
        ]
        for candidate in cases {
            await #expect(throws: TokenRejection.invalid) { try await fixture.verifier().verify(candidate, as: AccessTokenClaims.self) }
        }
    }

    @Test("ignores an embedded jwk header: keys come only from the ring")
    func ignoresEmbeddedJWK() async throws {
        let fixture = try TokenFixture()
        let attacker = try SigningKey.generate(.es256)
        let forged = try Tamper.resign(
            try TokenIssuer(key: attacker).sign(fixture.access()),
            header: { $0["jwk"] = try? JSONSerialization.jsonObject(with: JSONEncoder().encode(attacker.publicKey.jwk)) }, with: attacker)
        await #expect(throws: TokenRejection.invalid) { try await fixture.verifier().verify(forged, as: AccessTokenClaims.self) }
    }

    @Test("refuses a token not yet valid beyond the leeway")
    func refusesFutureToken() async throws {
        let fixture = try TokenFixture()
        var claims = fixture.access()
        claims.nbf = claims.iat + 120
        let token = try fixture.sign(claims)
        await #expect(throws: TokenRejection.invalid) { try await fixture.verifier().verify(token, as: AccessTokenClaims.self) }
    }
}

import Foundation
import GatehouseTesting
import JWTKit
import Testing
@testable import GatehouseCore

@Suite("Signing keys and the JWKS")
struct KeyTests {
    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("gh-keys-\(UUID().uuidString)").path
    }

    @Test("the first start generates a private key readable by its owner only")
    func generatesKeyWithMode0600() throws {
        let path = temporaryDirectory()
        let ring = try KeyDirectory(path: path, algorithm: .es256, retention: 100).loadOrCreate(now: Date())
        let files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".pem") }
        #expect(files.count == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: path + "/" + files[0])
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(ring.current.algorithm == .es256)
    }

    @Test("rotation makes a new key current and keeps the old one until its tokens expire")
    func rotationKeepsRetiredKey() throws {
        let directory = KeyDirectory(path: temporaryDirectory(), algorithm: .rs256, retention: 1000)
        let start = Date()
        let first = try directory.loadOrCreate(now: start)
        let newKid = try directory.rotate(now: start + 10)
        let second = try #require(try directory.load(now: start + 20))
        #expect(second.current.kid == newKid)
        #expect(second.current.algorithm == .rs256)
        #expect(second.verificationKeys[first.current.kid] != nil)
        #expect(second.jwks.keys.count == 2)
        let later = try #require(try directory.load(now: start + 10 + 1001))
        #expect(later.verificationKeys[first.current.kid] == nil)
    }

    @Test("the JWKS publishes public members only")
    func jwksHasNoPrivateMembers() throws {
        for algorithm in SigningAlgorithm.allCases {
            let key = try SigningKey.generate(algorithm)
            let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(KeyRing(current: key).jwks)) as? [String: Any]
            let jwk = try #require((json?["keys"] as? [[String: Any]])?.first)
            #expect(Set(jwk.keys).isDisjoint(with: ["d", "p", "q", "dp", "dq", "qi"]))
            #expect(jwk["kid"] as? String == key.kid)
            #expect(jwk["use"] as? String == "sig")
            #expect(jwk["alg"] as? String == algorithm.rawValue)
        }
    }

    @Test("a standard JOSE library (JWTKit) verifies our tokens through the published JWKS", arguments: SigningAlgorithm.allCases)
    func jwtKitVerifiesThroughJWKS(algorithm: SigningAlgorithm) async throws {
        struct Payload: JWTPayload {
            var sub: SubjectClaim
            var exp: ExpirationClaim
            var aud: AudienceClaim
            func verify(using algorithm: some JWTAlgorithm) throws {
                try exp.verifyNotExpired()
                try aud.verifyIntendedAudience(includes: TokenFixture.resource)
            }
        }
        let key = try SigningKey.generate(algorithm)
        let now = Date()
        let claims = AccessTokenClaims(
            iss: TokenFixture.issuer, aud: [TokenFixture.issuer, TokenFixture.resource], sub: .random(), sid: .random(),
            issuedAt: now, expiresAt: now + 60, roles: [], email: "a@b.co", givenName: "A", familyName: "B")
        let token = try TokenIssuer(key: key).sign(claims)
        let jwks = String(decoding: try JSONEncoder().encode(KeyRing(current: key).jwks), as: UTF8.self)
        let collection = try await JWTKeyCollection().add(jwksJSON: jwks)
        let verified = try await collection.verify(token, as: Payload.self)
        #expect(verified.sub.value == claims.sub.description)
    }

    @Test("a key read back from its JWK verifies what the private key signed")
    func jwkRoundTrip() async throws {
        let fixture = try TokenFixture(.rs256)
        let fromJWK = try VerificationKey(jwk: fixture.key.publicKey.jwk)
        let token = try fixture.sign(fixture.access())
        _ = try await fixture.verifier(keys: StaticKeys(keys: [fromJWK])).verify(token, as: AccessTokenClaims.self)
    }
}

import Foundation
import Testing
import GatehouseCore
import GatehouseTesting
@testable import AuthServer

@Suite("ID-token validation (OpenID Connect Core 3.1.3.7)")
struct IDTokenValidatorTests {
    static let issuer = "https://accounts.google.com"
    static let client = "gatehouse-client"

    let clock = ManualClock()
    let key: SigningKey

    init() throws { key = try SigningKey.generate(.rs256) }

    func validator(keys: [VerificationKey]? = nil) -> IDTokenValidator {
        IDTokenValidator(
            keys: StaticKeys(keys: keys ?? [key.publicKey]), issuers: [Self.issuer, "accounts.google.com"],
            clientID: Self.client, leeway: 30, clock: clock)
    }

    /// An ID token signed by `signer` with `claims` on top of valid defaults.
    func token(_ changes: [String: Any] = [:], header: [String: Any] = [:], signer: SigningKey? = nil) throws -> String {
        var claims: [String: Any] = [
            "iss": Self.issuer, "sub": "1234", "aud": Self.client, "exp": numericDate(clock.now()) + 300,
            "iat": numericDate(clock.now()), "nonce": "n-1", "email": "ann@example.com", "email_verified": true,
        ]
        claims.merge(changes) { $1 }
        for (name, value) in changes where value is NSNull { claims[name] = nil }
        let signer = signer ?? key
        var joseHeader: [String: Any] = ["alg": signer.algorithm.rawValue, "kid": signer.kid, "typ": "JWT"]
        joseHeader.merge(header) { $1 }
        for (name, value) in header where value is NSNull { joseHeader[name] = nil }
        let input = Tamper.encode(joseHeader) + "." + Tamper.encode(claims)
        return input + "." + Base64URL.encode(try signer.sign(Data(input.utf8)))
    }

    @Test("a valid token gives its claims, under either Google issuer spelling")
    func valid() async throws {
        let claims = try await validator().validate(try token(), nonce: "n-1")
        #expect(claims.sub == "1234" && claims.email == "ann@example.com" && claims.email_verified == true)
        _ = try await validator().validate(try token(["iss": "accounts.google.com"]), nonce: "n-1")
    }

    @Test("each rule refuses with its own code")
    func rules() async throws {
        let stranger = try SigningKey.generate(.rs256)
        let cases: [(String, IDTokenRejection)] = [
            (try token(["iss": "https://evil.example"]), .issuer),
            (try token(["aud": "someone-else"]), .audience),
            (try token(["aud": [Self.client, "other"]]), .audience),
            (try token(["aud": [Self.client, "other"], "azp": "other"]), .audience),
            (try token(["exp": numericDate(clock.now()) - 31]), .expired),
            (try token(["nonce": "n-2"]), .nonce),
            (try token(["nonce": NSNull()]), .nonce),
            (try token(signer: stranger), .signature),
            (try token(header: ["kid": stranger.kid], signer: stranger), .signature),
            (try token(header: ["alg": "ES256"]), .signature),
            (try Tamper.resign(try token(), header: { $0["alg"] = "none" }, with: nil), .signature),
            ("not.a.token", .malformed),
        ]
        for (candidate, expected) in cases {
            await #expect(throws: expected) { try await validator().validate(candidate, nonce: "n-1") }
        }
    }

    @Test("an extra audience is refused even when azp is ours (L12); a single audience as an array is fine")
    func extraAudiences() async throws {
        await #expect(throws: IDTokenRejection.audience) {
            try await validator().validate(try token(["aud": [Self.client, "other"], "azp": Self.client]), nonce: "n-1")
        }
        _ = try await validator().validate(try token(["aud": [Self.client], "azp": Self.client]), nonce: "n-1")
    }

    @Test("a token without kid verifies only against a set of exactly one key")
    func missingKid() async throws {
        struct OneKey: VerificationKeyProvider {
            let key: VerificationKey
            func verificationKey(for kid: String) async -> VerificationKey? { kid == key.kid ? key : nil }
            func soleKey() async -> VerificationKey? { key }
        }
        let withoutKid = try token(header: ["kid": NSNull()])
        await #expect(throws: IDTokenRejection.signature) { try await validator().validate(withoutKid, nonce: "n-1") }
        let single = IDTokenValidator(keys: OneKey(key: key.publicKey), issuers: [Self.issuer], clientID: Self.client, leeway: 30, clock: clock)
        _ = try await single.validate(withoutKid, nonce: "n-1")
    }

    @Test("the PKCE challenge is the S256 of the verifier (RFC 7636 appendix B)")
    func pkce() {
        var state = FederationStateClaims.start(provider: "google", issuer: "i", now: Date())
        state.code_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        #expect(state.codeChallenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }
}

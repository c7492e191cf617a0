import Crypto
import Foundation
import GatehouseCore
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

@Suite("Passkeys over HTTP", .onEveryDatabase)
struct PasskeyTests {
    static let origin = "http://localhost:5173"

    /// Registers `authenticator` for a signed-in browser; returns the passkey's id.
    func register(_ authenticator: SoftAuthenticator, in browser: TestBrowser, name: String = "Laptop") async throws -> String {
        let options = try await browser.send(.POST, "/auth/passkeys/registration-options", csrf: .held)
        #expect(options.status == .ok)
        let json = try options.json()
        #expect((json["rp"] as? [String: Any])?["id"] as? String == "localhost")
        #expect(json["attestation"] as? String == "none")
        let encoded = try #require(json["challenge"] as? String)
        let challenge = Array(try #require(Base64URL.decode(encoded)))
        let credential: [String: any Sendable] = [
            "id": Base64URL.encode(Data(authenticator.credentialID)), "type": "public-key",
            "response": [
                "clientDataJSON": Base64URL.encode(Data(SoftAuthenticator.clientData(type: "webauthn.create", challenge: challenge, origin: Self.origin))),
                "attestationObject": Base64URL.encode(Data(authenticator.attestationObject(rpID: "localhost"))),
            ] as [String: any Sendable],
        ]
        let created = try await browser.send(.POST, "/auth/passkeys", json: ["credential": credential, "name": name], csrf: .held)
        #expect(created.status == .created)
        // The same challenge cannot register again.
        let again = try await browser.send(.POST, "/auth/passkeys", json: ["credential": credential, "name": name], csrf: .held)
        #expect(again.status == .badRequest && again.problemCode == "passkey_refused")
        return try #require(try created.json()["id"] as? String)
    }

    /// Signs in with `authenticator` in `browser` (options, then the assertion); returns the answer.
    func signIn(
        _ authenticator: SoftAuthenticator, in browser: TestBrowser, counter: UInt32, flags: UInt8 = 0x05, mfaToken: String? = nil,
        origin: String = PasskeyTests.origin
    ) async throws -> TestingHTTPResponse {
        let options = try await browser.send(.POST, "/auth/passkeys/login-options", json: [:], csrf: .anonymous)
        #expect(options.status == .ok && options.setCookies["gatehouse_webauthn"] != nil)
        #expect((try options.json()["allowCredentials"] as? [Any])?.isEmpty == true)
        let encoded = try #require(try options.json()["challenge"] as? String)
        let challenge = Array(try #require(Base64URL.decode(encoded)))
        let signed = try authenticator.assertion(rpID: "localhost", challenge: challenge, origin: origin, counter: counter, flags: flags)
        var body: [String: any Sendable] = ["credential": [
            "id": Base64URL.encode(Data(authenticator.credentialID)), "type": "public-key",
            "response": [
                "clientDataJSON": Base64URL.encode(Data(signed.clientData)), "authenticatorData": Base64URL.encode(Data(signed.authData)),
                "signature": Base64URL.encode(Data(signed.signature)),
            ] as [String: any Sendable],
        ] as [String: any Sendable]]
        if let mfaToken { body["mfaToken"] = mfaToken }
        return try await browser.send(.POST, "/auth/passkeys/login", json: body, csrf: .anonymous)
    }

    @Test("register a passkey, list it, sign in with it (no password), refuse a counter regression, remove it")
    func lifecycle() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let owner = try await server.login(email)
            let authenticator = SoftAuthenticator()
            let id = try await register(authenticator, in: owner)
            let listed = try await owner.send(.GET, "/auth/passkeys").jsonArray()
            #expect(listed.count == 1 && listed.first?["name"] as? String == "Laptop")
            #expect(listed.first?.keys.contains("lastUsedAt") == true, "null until first use, never left out")

            let device = try server.browser()
            let signedIn = try await signIn(authenticator, in: device, counter: 1)
            #expect(signedIn.status == .ok && signedIn.setCookies["refresh_token"] != nil)
            #expect(try await device.send(.GET, "/auth/user").json()["email"] as? String == email)

            // A wrong origin, and a counter that goes backwards (a cloned authenticator?), are refused.
            #expect(try await signIn(authenticator, in: try server.browser(), counter: 2, origin: "https://evil.example").problemCode == "passkey_refused")
            let cloned = try await signIn(authenticator, in: try server.browser(), counter: 1)
            #expect(cloned.status == .unauthorized && cloned.problemCode == "passkey_refused")
            // Without user verification a passkey is not a whole sign-in.
            #expect(try await signIn(authenticator, in: try server.browser(), counter: 3, flags: 0x01).status == .unauthorized)

            server.clock.advance(by: 301)
            #expect(try await owner.send(.DELETE, "/auth/passkeys/\(id)", csrf: .held).problemCode == "reauthentication_required")
            // The passkey itself (with user verification) is proof enough to confirm it's you.
            let options = try await owner.send(.POST, "/auth/passkeys/login-options", json: [:], csrf: .anonymous)
            let encoded = try #require(try options.json()["challenge"] as? String)
            let signed = try authenticator.assertion(
                rpID: "localhost", challenge: Array(try #require(Base64URL.decode(encoded))), origin: Self.origin, counter: 10)
            let proof: [String: any Sendable] = ["credential": [
                "id": Base64URL.encode(Data(authenticator.credentialID)), "type": "public-key",
                "response": [
                    "clientDataJSON": Base64URL.encode(Data(signed.clientData)), "authenticatorData": Base64URL.encode(Data(signed.authData)),
                    "signature": Base64URL.encode(Data(signed.signature)),
                ] as [String: any Sendable],
            ] as [String: any Sendable]]
            #expect(try await owner.send(.POST, "/auth/reauthenticate", json: proof, csrf: .held).status == .ok)
            #expect(try await owner.send(.DELETE, "/auth/passkeys/\(id)", csrf: .held).status == .noContent)
            #expect(try await signIn(authenticator, in: try server.browser(), counter: 4).status == .unauthorized)
            #expect(try await server.notableEvents() == ["passkey_added", "passkey_counter_regression", "passkey_removed"])
        }
    }

    @Test("a passkey alone does not turn on two-step verification; with TOTP on it is one more way through the second step, without UV")
    func secondFactor() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let authenticator = SoftAuthenticator()
            let owner = try await server.login(email)
            _ = try await register(authenticator, in: owner)
            _ = try await server.login(email)  // a password still signs in by itself
            _ = try await SecondFactorTests().enrol(server, owner)
            let browser = try server.browser()
            let password = try await browser.send(.POST, "/auth/login", json: ["email": email, "password": TestServer.password], csrf: .anonymous)
            #expect(try password.json()["methods"] as? [String] == ["totp", "recovery_code", "passkey"])
            let token = try #require(try password.json()["mfaToken"] as? String)
            let done = try await signIn(authenticator, in: browser, counter: 1, flags: 0x01, mfaToken: token)
            #expect(done.status == .ok && done.setCookies["refresh_token"] != nil)
            // Another person's passkey cannot complete this account's second step.
            let other = SoftAuthenticator()
            _ = try await register(other, in: try await server.login(try await server.makeUser()))
            let second = try await browser.send(.POST, "/auth/login", json: ["email": email, "password": TestServer.password], csrf: .anonymous)
            let foreign = try await signIn(other, in: browser, counter: 1, flags: 0x01, mfaToken: try #require(try second.json()["mfaToken"] as? String))
            #expect(foreign.status == .unauthorized)
        }
    }
}

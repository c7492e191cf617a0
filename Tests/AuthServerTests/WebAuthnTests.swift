import Crypto
import Foundation
import GatehouseCore
import Testing
@testable import AuthServer

/// Builds ceremonies in tests with the server's own canonical encoder (the decoder is what is tested).
enum CBORWriter {
    static func encode(_ item: CBOR) -> [UInt8] { item.encoded() }
    static func int(_ value: Int) -> CBOR { value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value)) }
}

/// A software authenticator with one ES256 credential, as a browser would drive it.
struct SoftAuthenticator {
    let key = P256.Signing.PrivateKey()
    let credentialID: [UInt8] = Array((0..<32).map { _ in UInt8.random(in: 0...255) })
    var counter: UInt32 = 0

    var coseKey: CBOR {
        let point = Array(key.publicKey.x963Representation)
        return .map([
            (CBORWriter.int(1), CBORWriter.int(2)), (CBORWriter.int(3), CBORWriter.int(-7)), (CBORWriter.int(-1), CBORWriter.int(1)),
            (CBORWriter.int(-2), .bytes(Array(point[1..<33]))), (CBORWriter.int(-3), .bytes(Array(point[33..<65]))),
        ])
    }

    func authData(rpID: String, flags: UInt8, counter: UInt32, attested: Bool) -> [UInt8] {
        var data = Array(SHA256.hash(data: Data(rpID.utf8)))
        data.append(flags | (attested ? 0x40 : 0))
        data += (0..<4).reversed().map { UInt8(truncatingIfNeeded: counter >> (8 * UInt32($0))) }
        if attested {
            data += [UInt8](repeating: 0, count: 16) + [UInt8(credentialID.count >> 8), UInt8(credentialID.count & 0xFF)] + credentialID
            data += CBORWriter.encode(coseKey)
        }
        return data
    }

    static func clientData(type: String, challenge: [UInt8], origin: String) -> [UInt8] {
        Array(#"{"type":"\#(type)","challenge":"\#(Base64URL.encode(Data(challenge)))","origin":"\#(origin)","crossOrigin":false}"#.utf8)
    }

    func attestationObject(rpID: String, flags: UInt8 = 0x05) -> [UInt8] {
        CBORWriter.encode(.map([
            (.text("fmt"), .text("none")), (.text("attStmt"), .map([])),
            (.text("authData"), .bytes(authData(rpID: rpID, flags: flags, counter: counter, attested: true))),
        ]))
    }

    func assertion(rpID: String, challenge: [UInt8], origin: String, counter: UInt32, flags: UInt8 = 0x05)
        throws -> (clientData: [UInt8], authData: [UInt8], signature: [UInt8])
    {
        let client = Self.clientData(type: "webauthn.get", challenge: challenge, origin: origin)
        let auth = authData(rpID: rpID, flags: flags, counter: counter, attested: false)
        let signature = try key.signature(for: auth + Array(SHA256.hash(data: client)))
        return (client, auth, Array(signature.derRepresentation))
    }
}

@Suite("CBOR (strict subset)")
struct CBORTests {
    @Test("decodes the WebAuthn subset and round-trips what the test writer encodes")
    func roundTrip() throws {
        let item: CBOR = .map([(.text("a"), .array([.unsigned(1), .negative(0), .bytes([1, 2]), .bool(true), .null])), (.unsigned(500), .text("é"))])
        #expect(try CBOR.decode(CBORWriter.encode(item)) == item)
        #expect(try CBOR.decode([0x3A, 0x00, 0x01, 0x00, 0x00]) == .negative(65_536))
    }

    @Test("refuses truncation, trailing bytes, indefinite lengths, tags, floats, duplicate keys, long forms, deep nesting, bad UTF-8",
          arguments: [
            [0x58, 0x05, 0x01], [0x01, 0x02], [0x5F, 0x41, 0x00, 0xFF], [0xC1, 0x00], [0xF9, 0x3C, 0x00], [0xA2, 0x01, 0x01, 0x01, 0x02],
            [0x18, 0x05], [0x19, 0x00, 0x10], [0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x00], [0x62, 0xC3, 0x28],
            [0xA1, 0x41, 0x00, 0x00], [0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [],
          ] as [[UInt8]])
    func refuses(bytes: [UInt8]) {
        #expect(throws: CBOR.Malformed.self) { try CBOR.decode(bytes) }
    }

    @Test("random bytes never crash the decoder")
    func fuzz() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? CBOR.decode(bytes)
            _ = try? AuthenticatorData(bytes)
        }
    }
}

@Suite("WebAuthn ceremonies (Level 3 §7.1, §7.2)")
struct WebAuthnTests {
    let rp = RelyingParty(id: "localhost", origin: "http://localhost:5173")
    let challenge = Array((0..<32).map { _ in UInt8.random(in: 0...255) })

    func register(_ authenticator: SoftAuthenticator) throws -> RelyingParty.NewCredential {
        try rp.verifyRegistration(
            clientDataJSON: SoftAuthenticator.clientData(type: "webauthn.create", challenge: challenge, origin: rp.origin),
            attestationObject: authenticator.attestationObject(rpID: rp.id), challenge: challenge, requireUserVerification: true)
    }

    @Test("a good registration gives the credential id and key; a good assertion verifies")
    func goodCeremonies() throws {
        let authenticator = SoftAuthenticator()
        let credential = try register(authenticator)
        #expect(credential.id == authenticator.credentialID && credential.userVerified)
        let signed = try authenticator.assertion(rpID: rp.id, challenge: challenge, origin: rp.origin, counter: 1)
        let data = try rp.verifyAssertion(
            clientDataJSON: signed.clientData, authenticatorData: signed.authData, signature: signed.signature, challenge: challenge,
            key: credential.publicKey, storedCount: 0, requireUserVerification: true)
        #expect(data.signCount == 1 && data.userVerified)
    }

    func expectAssertion(
        _ rejection: WebAuthnRejection, rpID: String = "localhost", challenge presented: [UInt8]? = nil, origin: String = "http://localhost:5173",
        counter: UInt32 = 5, stored: UInt32 = 4, flags: UInt8 = 0x05, tamper: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let authenticator = SoftAuthenticator()
        let credential = try register(authenticator)
        var signed = try authenticator.assertion(rpID: rpID, challenge: presented ?? challenge, origin: origin, counter: counter, flags: flags)
        if tamper { signed.signature[signed.signature.count - 3] ^= 0x01 }
        #expect(throws: rejection, sourceLocation: sourceLocation) {
            try rp.verifyAssertion(
                clientDataJSON: signed.clientData, authenticatorData: signed.authData, signature: signed.signature, challenge: challenge,
                key: credential.publicKey, storedCount: stored, requireUserVerification: true)
        }
    }

    @Test("each broken rule is refused with its own reason")
    func brokenRules() throws {
        try expectAssertion(.wrongOrigin, origin: "https://evil.example")
        try expectAssertion(.wrongRPID, rpID: "evil.example")
        try expectAssertion(.wrongChallenge, challenge: Array(repeating: 7, count: 32))  // another (e.g. replayed) challenge
        try expectAssertion(.counterRegression, counter: 3, stored: 4)
        try expectAssertion(.counterRegression, counter: 4, stored: 4)
        try expectAssertion(.badSignature, tamper: true)
        try expectAssertion(.userNotVerified, flags: 0x01)
        try expectAssertion(.userNotPresent, flags: 0x04)
    }

    @Test("registration refuses a create ceremony of another kind, origin or RP, missing UV, and truncated or oversized CBOR")
    func badRegistrations() throws {
        let authenticator = SoftAuthenticator()
        let good = authenticator.attestationObject(rpID: rp.id)
        func attempt(_ client: [UInt8], _ object: [UInt8]) throws {
            _ = try rp.verifyRegistration(clientDataJSON: client, attestationObject: object, challenge: challenge, requireUserVerification: true)
        }
        let client = SoftAuthenticator.clientData(type: "webauthn.create", challenge: challenge, origin: rp.origin)
        #expect(throws: WebAuthnRejection.wrongType) { try attempt(SoftAuthenticator.clientData(type: "webauthn.get", challenge: challenge, origin: rp.origin), good) }
        #expect(throws: WebAuthnRejection.wrongOrigin) { try attempt(SoftAuthenticator.clientData(type: "webauthn.create", challenge: challenge, origin: "http://localhost:1"), good) }
        #expect(throws: WebAuthnRejection.wrongRPID) { try attempt(client, authenticator.attestationObject(rpID: "example.org")) }
        #expect(throws: WebAuthnRejection.userNotVerified) { try attempt(client, authenticator.attestationObject(rpID: rp.id, flags: 0x01)) }
        #expect(throws: WebAuthnRejection.malformed) { try attempt(client, Array(good.dropLast(5))) }
        #expect(throws: WebAuthnRejection.malformed) { try attempt(client, good + [0x00]) }
        #expect(throws: WebAuthnRejection.malformed) { try attempt(client, CBORWriter.encode(.map([(.text("fmt"), .text("none")), (.text("authData"), .bytes([UInt8](repeating: 0, count: 20_000)))]))) }
        #expect(throws: WebAuthnRejection.malformed) { try attempt(Array("not json".utf8), good) }
    }
}

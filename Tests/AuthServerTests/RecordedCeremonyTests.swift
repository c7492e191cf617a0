import Foundation
import GatehouseCore
import Testing
@testable import AuthServer

/// Ceremonies recorded from Chromium's virtual authenticator (the DevTools WebAuthn domain, ctap2,
/// internal transport, resident key, user verification) on a page at `http://localhost:47123`, with
/// fixed challenges: real bytes from a real client, not built by our own test code.
struct RecordedCeremony {
    let origin: String, rpID: String
    let registrationChallenge: String, credentialID: String, registrationClientData: String, attestationObject: String
    let assertionChallenge: String, assertionClientData: String, authenticatorData: String, signature: String

    static let es256 = RecordedCeremony(
        origin: "http://localhost:47123", rpID: "localhost",
        registrationChallenge: "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA", credentialID: "sjxTPKGZlSVURI4smrgB38ZivTBXFYpkdL_KmyDhMzY",
        registrationClientData: "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiQVFJREJBVUdCd2dKQ2dzTURRNFBFQkVTRXhRVkZoY1lHUm9iSEIwZUh5QSIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6NDcxMjMiLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
        attestationObject: "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVikSZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NFAAAAAQECAwQFBgcIAQIDBAUGBwgAILI8UzyhmZUlVESOLJq4Ad_GYr0wVxWKZHS_ypsg4TM2pQECAyYgASFYIIlGsjfyNwSMn_BrsyaCe7Iv8pxCE7s1TLgtwe8VZrNSIlggh_JVQf2-3-TttT6tGr3DgI5M780hkG20Q-OVSuu35ZM",
        assertionChallenge: "ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-P0A", assertionClientData: "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiSVNJakpDVW1KeWdwS2lzc0xTNHZNREV5TXpRMU5qYzRPVG83UEQwLVAwQSIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6NDcxMjMiLCJjcm9zc09yaWdpbiI6ZmFsc2UsIm90aGVyX2tleXNfY2FuX2JlX2FkZGVkX2hlcmUiOiJkbyBub3QgY29tcGFyZSBjbGllbnREYXRhSlNPTiBhZ2FpbnN0IGEgdGVtcGxhdGUuIFNlZSBodHRwczovL2dvby5nbC95YWJQZXgifQ",
        authenticatorData: "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAg", signature: "MEUCIQDMRpoEEPw4VFSC6vUWzuwSh4I-yjaqpVzrsyDryVwi3gIgNCzz5g4ExNgm6MNGq_No-qvDl50qCPUVqUqUsANJ6vY")

    static let rs256 = RecordedCeremony(
        origin: "http://localhost:47123", rpID: "localhost",
        registrationChallenge: "ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5_gIGCg4Q", credentialID: "1s4mz1WHrd9VermZFPY_lWJRa4LSO7_H-HGVR_uU-RQ",
        registrationClientData: "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiWldabmFHbHFhMnh0Ym05d2NYSnpkSFYyZDNoNWVudDhmWDVfZ0lHQ2c0USIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6NDcxMjMiLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
        attestationObject: "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVkBZ0mWDeWIDoxodDQXD2R2YFuP5K65ooYyx5lc87qDHZdjRQAAAAEBAgMEBQYHCAECAwQFBgcIACDWzibPVYet31V6uZkU9j-VYlFrgtI7v8f4cZVH-5T5FKQBAwM5AQAgWQEA0YiYRSFIgPq-L_GZ1so4jL1Y4TpQx0q7m94TJI-6bbldQ_13SHq3Bq1GfvCkVIePk4uxl4Qj918eY3IZp2pSZXqTpX_KaZZfjAGTwNnQYr9sQirGeQ82WrtxY7F43hMIV6j4EnGx7hPpKeli6YEmiRrvCtxK6yUJd9fY5bMZV-H3uB72uhEobvq5xjvRcopGjwUpzG-5t7qYkoqTxt2u_J6biB1BiLlwJXdHiAtDcHXsANsxwAfWQ601xKWzkzrVxn5WZNpGSTsQ8sU1L-x6z9L0ZylOFam4WaXrxtA6N_QuHL-EVIh3KJGXES8Zovh4oH_nLOljqdG8qVeGoR3-sSFDAQAB",
        assertionChallenge: "hYaHiImKi4yNjo-QkZKTlJWWl5iZmpucnZ6foKGio6Q", assertionClientData: "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiaFlhSGlJbUtpNHlOam8tUWtaS1RsSldXbDVpWm1wdWNuWjZmb0tHaW82USIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6NDcxMjMiLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
        authenticatorData: "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAg", signature: "LmBt9rq1TmaKWT-5xqLPg70gEouIhegYgvU8sq_FnuD0tNHPl548ABNm9xtlqp0JHwO9IzqT4Wm7g21O0asYlCADkuZUPl0_4tC6fCku9TvQ9c3tTgWzycm2npRfBXUO5zIYqfZ4WeGcLOU07fYItSTe_tbkw9OqAfJCJbS1pZDUDfvYYX51wBegqbW1AtnRDZ0lWpfUgFldBuWW1Emnds93igAvXG0f24sMaFqxrxwE43etj1AXErGrDPahSYqiR66NdQxGq9RhXlZ3EGJYMPyVvoIbA49YYuTwhQURsYwzPTf4f2yp3PRt3T-j4tLYcWpHM8RXIERfEe160L-EEA")

    static func bytes(_ text: String) -> [UInt8] { Array(Base64URL.decode(text)!) }
}

@Suite("WebAuthn: ceremonies recorded from Chromium")
struct RecordedCeremonyTests {
    @Test("a real ES256 and a real RS256 registration and assertion verify", arguments: ["es256", "rs256"])
    func verify(kind: String) throws {
        let c = kind == "es256" ? RecordedCeremony.es256 : RecordedCeremony.rs256
        let rp = RelyingParty(id: c.rpID, origin: c.origin)
        let credential = try rp.verifyRegistration(
            clientDataJSON: RecordedCeremony.bytes(c.registrationClientData), attestationObject: RecordedCeremony.bytes(c.attestationObject),
            challenge: RecordedCeremony.bytes(c.registrationChallenge), requireUserVerification: true)
        #expect(credential.id == RecordedCeremony.bytes(c.credentialID) && credential.userVerified)
        if kind == "es256" { guard case .es256 = credential.publicKey else { Issue.record("not ES256"); return } }
        if kind == "rs256" { guard case .rs256 = credential.publicKey else { Issue.record("not RS256"); return } }
        let data = try rp.verifyAssertion(
            clientDataJSON: RecordedCeremony.bytes(c.assertionClientData), authenticatorData: RecordedCeremony.bytes(c.authenticatorData),
            signature: RecordedCeremony.bytes(c.signature), challenge: RecordedCeremony.bytes(c.assertionChallenge), key: credential.publicKey,
            storedCount: credential.signCount, requireUserVerification: true)
        #expect(data.userVerified && data.signCount > credential.signCount)

        // The same real bytes fail as soon as one rule is broken.
        let other = RelyingParty(id: c.rpID, origin: "http://localhost:5173")
        #expect(throws: WebAuthnRejection.wrongOrigin) {
            try other.verifyAssertion(
                clientDataJSON: RecordedCeremony.bytes(c.assertionClientData), authenticatorData: RecordedCeremony.bytes(c.authenticatorData),
                signature: RecordedCeremony.bytes(c.signature), challenge: RecordedCeremony.bytes(c.assertionChallenge), key: credential.publicKey,
                storedCount: credential.signCount, requireUserVerification: true)
        }
        #expect(throws: WebAuthnRejection.wrongChallenge) {
            try rp.verifyAssertion(
                clientDataJSON: RecordedCeremony.bytes(c.assertionClientData), authenticatorData: RecordedCeremony.bytes(c.authenticatorData),
                signature: RecordedCeremony.bytes(c.signature), challenge: RecordedCeremony.bytes(c.registrationChallenge), key: credential.publicKey,
                storedCount: credential.signCount, requireUserVerification: true)
        }
        #expect(throws: WebAuthnRejection.counterRegression) {
            try rp.verifyAssertion(
                clientDataJSON: RecordedCeremony.bytes(c.assertionClientData), authenticatorData: RecordedCeremony.bytes(c.authenticatorData),
                signature: RecordedCeremony.bytes(c.signature), challenge: RecordedCeremony.bytes(c.assertionChallenge), key: credential.publicKey,
                storedCount: data.signCount, requireUserVerification: true)
        }
        var forged = RecordedCeremony.bytes(c.signature)
        forged[forged.count / 2] ^= 0x01
        #expect(throws: WebAuthnRejection.badSignature) {
            try rp.verifyAssertion(
                clientDataJSON: RecordedCeremony.bytes(c.assertionClientData), authenticatorData: RecordedCeremony.bytes(c.authenticatorData),
                signature: forged, challenge: RecordedCeremony.bytes(c.assertionChallenge), key: credential.publicKey,
                storedCount: credential.signCount, requireUserVerification: true)
        }
    }
}

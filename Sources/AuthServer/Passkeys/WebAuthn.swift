import Crypto
import CryptoExtras
import Foundation
import GatehouseCore

/// A credential public key from its COSE form (RFC 9052/9053): ES256 (EC2, P-256) or RS256 (RSA,
/// at least 2048 bits); nothing else is accepted.
enum COSEKey: Sendable {
    case es256(P256.Signing.PublicKey)
    case rs256(_RSA.Signing.PublicKey)

    struct Unsupported: Error, Equatable {
        let reason: String
    }

    init(cbor: CBOR) throws(Unsupported) {
        switch (cbor[1]?.intValue, cbor[3]?.intValue) {
        case (2, -7):
            guard cbor[-1]?.intValue == 1, let x = cbor[-2]?.bytesValue, let y = cbor[-3]?.bytesValue, x.count == 32, y.count == 32,
                let key = try? P256.Signing.PublicKey(x963Representation: [0x04] + x + y)
            else { throw Unsupported(reason: "not a P-256 point") }
            self = .es256(key)
        case (3, -257):
            guard let n = cbor[-1]?.bytesValue, let e = cbor[-2]?.bytesValue, n.count >= 256,
                let key = try? _RSA.Signing.PublicKey(n: n, e: e)
            else { throw Unsupported(reason: "not an RSA key of at least 2048 bits") }
            self = .rs256(key)
        default:
            throw Unsupported(reason: "only ES256 and RS256 credentials are accepted")
        }
    }

    /// Whether `signature` (DER for ES256, PKCS #1 v1.5 for RS256) signs `data`.
    func isValidSignature(_ signature: [UInt8], for data: [UInt8]) -> Bool {
        switch self {
        case .es256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: SHA256.hash(data: data))
        case .rs256(let key):
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: data, padding: .insecurePKCS1v1_5)
        }
    }
}

/// Authenticator data (WebAuthn L3 §6.1): RP ID hash, flags, signature counter, and on registration
/// the attested credential (AAGUID, id, COSE public key).
struct AuthenticatorData: Sendable {
    let rpIDHash: [UInt8]
    let userPresent: Bool
    let userVerified: Bool
    let signCount: UInt32
    let credentialID: [UInt8]?
    let publicKey: CBOR?

    struct Malformed: Error, Equatable {
        let reason: String
    }

    init(_ bytes: [UInt8]) throws(Malformed) {
        guard bytes.count >= 37 else { throw Malformed(reason: "shorter than 37 bytes") }
        rpIDHash = Array(bytes[0..<32])
        let flags = bytes[32]
        userPresent = flags & 0x01 != 0
        userVerified = flags & 0x04 != 0
        signCount = bytes[33..<37].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        var offset = 37
        if flags & 0x40 != 0 {
            guard bytes.count >= offset + 18 else { throw Malformed(reason: "attested credential data truncated") }
            offset += 16  // AAGUID: attestation `none` makes no claim about the authenticator model
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            offset += 2
            guard length > 0, length <= 1023, bytes.count >= offset + length else { throw Malformed(reason: "bad credential id length") }
            credentialID = Array(bytes[offset..<offset + length])
            offset += length
            do {
                let (key, used) = try CBOR.decodePrefix(bytes[offset...])
                publicKey = key
                offset += used
            } catch {
                throw Malformed(reason: "credential public key: \(error.reason)")
            }
        } else {
            credentialID = nil
            publicKey = nil
        }
        if flags & 0x80 != 0 {
            // Extensions: decoded only to find their end; none is acted on.
            do {
                let (_, used) = try CBOR.decodePrefix(bytes[offset...])
                offset += used
            } catch {
                throw Malformed(reason: "extensions: \(error.reason)")
            }
        }
        guard offset == bytes.count else { throw Malformed(reason: "trailing bytes") }
    }
}

/// The parts of `clientDataJSON` a relying party checks (§7.1 steps 7–11, §7.2 steps 11–14).
struct ClientData: Decodable {
    let type: String
    let challenge: String
    let origin: String
    let crossOrigin: Bool?
}

/// Why a WebAuthn ceremony is refused; each broken rule its own case, so tests can name it.
enum WebAuthnRejection: String, Error {
    case malformed, wrongType, wrongChallenge, wrongOrigin, crossOrigin, wrongRPID, userNotPresent, userNotVerified
    case unsupportedKey, badSignature, counterRegression, unknownCredential
}

/// The relying party: verifies registration and authentication ceremonies (WebAuthn Level 3 §7.1,
/// §7.2) for one RP ID and one origin. Attestation is `none`: the authenticator's model is not
/// judged, so any attestation statement is ignored.
struct RelyingParty: Sendable {
    let id: String
    let origin: String

    struct NewCredential {
        let id: [UInt8]
        let publicKey: COSEKey
        let publicKeyCBOR: CBOR
        let signCount: UInt32
        let userVerified: Bool
    }

    func verifyRegistration(
        clientDataJSON: [UInt8], attestationObject: [UInt8], challenge: [UInt8], requireUserVerification: Bool
    ) throws(WebAuthnRejection) -> NewCredential {
        try check(clientDataJSON, type: "webauthn.create", challenge: challenge)
        guard attestationObject.count <= 16_384, let attestation = try? CBOR.decode(attestationObject),
            attestation["fmt"]?.textValue != nil, let authDataBytes = attestation["authData"]?.bytesValue,
            let data = try? AuthenticatorData(authDataBytes)
        else { throw .malformed }
        try check(data, requireUserVerification: requireUserVerification)
        guard let credentialID = data.credentialID, let keyCBOR = data.publicKey else { throw .malformed }
        guard let key = try? COSEKey(cbor: keyCBOR) else { throw .unsupportedKey }
        return NewCredential(id: credentialID, publicKey: key, publicKeyCBOR: keyCBOR, signCount: data.signCount, userVerified: data.userVerified)
    }

    /// Verifies an assertion by `key`, whose last known counter is `storedCount`; returns the
    /// authenticator data (its counter becomes the stored one; its UV flag says whether this was a
    /// whole sign-in or a second factor only).
    func verifyAssertion(
        clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8], challenge: [UInt8], key: COSEKey,
        storedCount: UInt32, requireUserVerification: Bool
    ) throws(WebAuthnRejection) -> AuthenticatorData {
        try check(clientDataJSON, type: "webauthn.get", challenge: challenge)
        guard authenticatorData.count <= 4_096, let data = try? AuthenticatorData(authenticatorData) else { throw .malformed }
        try check(data, requireUserVerification: requireUserVerification)
        let signed = authenticatorData + Array(SHA256.hash(data: clientDataJSON))
        guard key.isValidSignature(signature, for: signed) else { throw .badSignature }
        // §7.2 step 21: a counter that does not grow (when either side counts) may mean a cloned authenticator.
        if data.signCount != 0 || storedCount != 0, data.signCount <= storedCount { throw .counterRegression }
        return data
    }

    private func check(_ clientDataJSON: [UInt8], type: String, challenge: [UInt8]) throws(WebAuthnRejection) {
        guard clientDataJSON.count <= 4_096, let client = try? JSONDecoder().decode(ClientData.self, from: Data(clientDataJSON)) else {
            throw .malformed
        }
        guard client.type == type else { throw .wrongType }
        guard let presented = Base64URL.decode(client.challenge), Secrets.constantTimeEquals(Array(presented), challenge) else {
            throw .wrongChallenge
        }
        guard client.origin == origin else { throw .wrongOrigin }
        guard client.crossOrigin != true else { throw .crossOrigin }
    }

    private func check(_ data: AuthenticatorData, requireUserVerification: Bool) throws(WebAuthnRejection) {
        guard Secrets.constantTimeEquals(data.rpIDHash, Array(SHA256.hash(data: Data(id.utf8)))) else { throw .wrongRPID }
        guard data.userPresent else { throw .userNotPresent }
        if requireUserVerification, !data.userVerified { throw .userNotVerified }
    }
}

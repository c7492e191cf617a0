import Crypto
import CryptoExtras
import Foundation

/// A private signing key with its key id, as stored in the keys directory.
public struct SigningKey: Sendable {
    enum Material: Sendable {
        case es256(P256.Signing.PrivateKey)
        case rs256(_RSA.Signing.PrivateKey)
    }

    let material: Material
    /// The RFC 7638 thumbprint of the public key: stable, derived, never chosen by hand.
    public let kid: String
    public let publicKey: VerificationKey

    init(material: Material) throws {
        self.material = material
        let publicMaterial: VerificationKey.Material
        switch material {
        case .es256(let key): publicMaterial = .es256(key.publicKey)
        case .rs256(let key): publicMaterial = .rs256(key.publicKey)
        }
        let jwk = try PublicJWK(publicMaterial, kid: nil)
        self.kid = jwk.thumbprint()
        self.publicKey = try VerificationKey(material: publicMaterial, kid: kid)
    }

    /// Generates a new key for `algorithm`.
    public static func generate(_ algorithm: SigningAlgorithm) throws -> SigningKey {
        switch algorithm {
        case .es256: return try SigningKey(material: .es256(P256.Signing.PrivateKey()))
        case .rs256: return try SigningKey(material: .rs256(_RSA.Signing.PrivateKey(keySize: .bits2048)))
        }
    }

    /// Reads a PKCS#8 PEM private key, EC P-256 or RSA.
    public init(pem: String) throws {
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            try self.init(material: .es256(key))
        } else if let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) {
            try self.init(material: .rs256(key))
        } else {
            throw KeyError.unreadableKey
        }
    }

    public var algorithm: SigningAlgorithm {
        switch material {
        case .es256: return .es256
        case .rs256: return .rs256
        }
    }

    public var pemRepresentation: String {
        switch material {
        case .es256(let key): return key.pemRepresentation
        case .rs256(let key): return key.pemRepresentation
        }
    }

    /// Signs `input` (a JWS signing input) with this key, in the JWS encoding of its algorithm.
    public func sign(_ input: some DataProtocol) throws -> Data {
        switch material {
        case .es256(let key):
            return try key.signature(for: input).rawRepresentation
        case .rs256(let key):
            return try key.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation
        }
    }
}

/// A public key that verifies signatures of one algorithm only.
public struct VerificationKey: Sendable {
    enum Material: Sendable {
        case es256(P256.Signing.PublicKey)
        case rs256(_RSA.Signing.PublicKey)
    }

    let material: Material
    public let kid: String
    /// The key as published in the JWKS.
    public let jwk: PublicJWK

    init(material: Material, kid: String) throws {
        self.material = material
        self.kid = kid
        self.jwk = try PublicJWK(material, kid: kid)
    }

    /// Builds a key from a published JWK, as a resource server does with a fetched JWKS.
    /// Only `EC`/`P-256` (ES256) and `RSA` (RS256, at least 2048 bits) keys are accepted.
    public init(jwk: PublicJWK) throws {
        guard let kid = jwk.kid else { throw KeyError.unsupportedKey }
        switch (jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.n, jwk.e) {
        case ("EC", "P-256", let x?, let y?, _, _):
            guard jwk.alg == nil || jwk.alg == SigningAlgorithm.es256.rawValue,
                let xs = Base64URL.decode(x), let ys = Base64URL.decode(y), xs.count == 32, ys.count == 32
            else { throw KeyError.unsupportedKey }
            let key = try P256.Signing.PublicKey(rawRepresentation: xs + ys)
            try self.init(material: .es256(key), kid: kid)
        case ("RSA", _, _, _, let n?, let e?):
            guard jwk.alg == nil || jwk.alg == SigningAlgorithm.rs256.rawValue,
                let ns = Base64URL.decode(n), let es = Base64URL.decode(e), ns.count >= 256
            else { throw KeyError.unsupportedKey }
            let key = try _RSA.Signing.PublicKey(n: ns, e: es)
            try self.init(material: .rs256(key), kid: kid)
        default:
            throw KeyError.unsupportedKey
        }
    }

    public var algorithm: SigningAlgorithm {
        switch material {
        case .es256: return .es256
        case .rs256: return .rs256
        }
    }

    func isValidSignature(_ signature: Data, for input: some DataProtocol) -> Bool {
        switch material {
        case .es256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: input)
        case .rs256(let key):
            let parsed = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return key.isValidSignature(parsed, for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        }
    }
}

/// Why a key could not be used.
public enum KeyError: Error, Sendable {
    case unreadableKey
    case unsupportedKey
    case noCurrentKey
}

import Crypto
import CryptoExtras
import Foundation

/// One public key as published in a JWKS (RFC 7517). Holds public members only, by construction.
public struct PublicJWK: Codable, Sendable, Equatable {
    public var kty: String
    public var kid: String?
    public var use: String?
    public var alg: String?
    public var crv: String?
    public var x: String?
    public var y: String?
    public var n: String?
    public var e: String?

    init(_ material: VerificationKey.Material, kid: String?) throws {
        self.kid = kid
        self.use = "sig"
        switch material {
        case .es256(let key):
            // x963 is 0x04 || X || Y, 32 bytes each for P-256.
            let raw = key.x963Representation.dropFirst()
            kty = "EC"
            alg = SigningAlgorithm.es256.rawValue
            crv = "P-256"
            x = Base64URL.encode(raw.prefix(32))
            y = Base64URL.encode(raw.suffix(32))
        case .rs256(let key):
            let primitives = try key.getKeyPrimitives()
            kty = "RSA"
            alg = SigningAlgorithm.rs256.rawValue
            n = Base64URL.encode(primitives.modulus)
            e = Base64URL.encode(primitives.publicExponent)
        }
    }

    /// RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order.
    public func thumbprint() -> String {
        let canonical: String
        if kty == "EC" {
            canonical = #"{"crv":"\#(crv ?? "")","kty":"EC","x":"\#(x ?? "")","y":"\#(y ?? "")"}"#
        } else {
            canonical = #"{"e":"\#(e ?? "")","kty":"RSA","n":"\#(n ?? "")"}"#
        }
        return Base64URL.encode(Data(SHA256.hash(data: Data(canonical.utf8))))
    }
}

/// A JWK Set, the body of `/.well-known/jwks.json`.
public struct PublicJWKSet: Codable, Sendable, Equatable {
    public var keys: [PublicJWK]
    public init(keys: [PublicJWK]) { self.keys = keys }
}

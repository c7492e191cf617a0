import Crypto
import Foundation

/// Seals a session's current refresh token under a key derived from its predecessor.
///
/// During the grace window a racing request that presents the predecessor must receive the very
/// same successor (two tabs share one cookie jar). Storing the successor in clear would put a bearer
/// credential at rest; sealed this way, only someone holding the predecessor can open it. Its expiry
/// is sealed with it: AES-GCM authenticates both, so opening needs no second signature check.
enum GraceSeal {
    static func seal(_ successor: MintedToken, predecessor: String, session: UUID) throws -> String {
        let plain = "\(Int64(successor.expiresAt.timeIntervalSince1970)) \(successor.token)"
        let box = try AES.GCM.seal(Data(plain.utf8), using: key(predecessor, session))
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return combined.base64EncodedString()
    }

    static func open(_ sealed: String, predecessor: String, session: UUID) -> MintedToken? {
        guard let data = Data(base64Encoded: sealed),
            let box = try? AES.GCM.SealedBox(combined: data),
            let plain = try? AES.GCM.open(box, using: key(predecessor, session))
        else { return nil }
        let parts = String(decoding: plain, as: UTF8.self).split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let seconds = Int64(parts[0]) else { return nil }
        return MintedToken(token: String(parts[1]), expiresAt: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    private static func key(_ predecessor: String, _ session: UUID) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: SHA256.hash(data: Data(predecessor.utf8))),
            salt: Data(session.uuidString.utf8), info: Data("gatehouse refresh grace v2".utf8), outputByteCount: 32)
    }
}

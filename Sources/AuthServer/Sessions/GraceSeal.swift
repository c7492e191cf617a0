import Crypto
import Foundation

/// Seals a session's current refresh token under a key derived from its predecessor.
///
/// During the grace window a racing request that presents the predecessor must receive the very
/// same successor (two tabs share one cookie jar). Storing the successor in clear would put a bearer
/// credential at rest; sealed this way, only someone holding the predecessor can open it.
enum GraceSeal {
    static func seal(_ successor: String, predecessor: String, session: UUID) throws -> String {
        let box = try AES.GCM.seal(Data(successor.utf8), using: key(predecessor, session))
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return combined.base64EncodedString()
    }

    static func open(_ sealed: String, predecessor: String, session: UUID) -> String? {
        guard let data = Data(base64Encoded: sealed),
            let box = try? AES.GCM.SealedBox(combined: data),
            let plain = try? AES.GCM.open(box, using: key(predecessor, session))
        else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }

    private static func key(_ predecessor: String, _ session: UUID) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: SHA256.hash(data: Data(predecessor.utf8))),
            salt: Data(session.uuidString.utf8), info: Data("gatehouse refresh grace v1".utf8), outputByteCount: 32)
    }
}

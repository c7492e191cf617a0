import Crypto
import Foundation
import GatehouseCore

/// Seals secrets the server must read back (AES-GCM): queued mail bodies, which carry live one-time
/// links, and TOTP secrets. A copy of the database (a backup, a replica) must not be enough to use
/// them. Each key lives beside the signing keys, outside the database, in its own file (mode 0600,
/// `outbox.key`, `totp.key`), made on first start.
struct AtRestSeal: Sendable {
    private let key: SymmetricKey
    private static let prefix = "sealed:v1:"

    init(key: SymmetricKey) {
        self.key = key
    }

    /// The key `name` in `directory`, created when absent.
    static func load(directory: String, name: String = "outbox.key") throws -> AtRestSeal {
        let folder = URL(fileURLWithPath: directory)
        let file = folder.appendingPathComponent(name)
        if let text = try? String(contentsOf: file, encoding: .utf8),
            let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 {
            return AtRestSeal(key: SymmetricKey(data: bytes))
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = SymmetricKey(size: .bits256)
        let encoded = key.withUnsafeBytes { Data($0).base64EncodedString() }
        // Written aside and moved into place, so a concurrent first start never reads half a key;
        // if another process won, its key is the one to use.
        let temporary = folder.appendingPathComponent(".\(name).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(encoded.utf8), attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteUnknown) }
        if link(temporary.path, file.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            return try load(directory: directory, name: name)
        }
        try? FileManager.default.removeItem(at: temporary)
        return AtRestSeal(key: key)
    }

    func seal(_ body: String) throws -> String {
        let box = try AES.GCM.seal(Data(body.utf8), using: key)
        guard let combined = box.combined else { throw CocoaError(.coderInvalidValue) }
        return Self.prefix + combined.base64EncodedString()
    }

    /// The body; a body stored before sealing existed is returned as it is.
    func open(_ stored: String) throws -> String {
        guard stored.hasPrefix(Self.prefix) else { return stored }
        guard let combined = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))) else { throw CocoaError(.coderInvalidValue) }
        return String(decoding: try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: key), as: UTF8.self)
    }
}

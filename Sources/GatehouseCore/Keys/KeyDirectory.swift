import Foundation

/// The signing keys on disk: one PEM file per key, named `<created-ms>-<kid>.pem`, mode 0600.
///
/// The newest file signs. An older key is retired when the next one is created, and keeps verifying
/// for `retention` seconds after that (the longest lifetime of anything it signed), so rotating never
/// logs anyone out. Several processes may share the directory: files are written once, atomically,
/// and never changed.
public struct KeyDirectory: Sendable {
    public let path: URL
    public let algorithm: SigningAlgorithm
    public let retention: TimeInterval

    public init(path: String, algorithm: SigningAlgorithm, retention: TimeInterval) {
        self.path = URL(fileURLWithPath: path, isDirectory: true)
        self.algorithm = algorithm
        self.retention = retention
    }

    struct Entry {
        let created: Date
        let kid: String
        let file: URL
    }

    /// Loads the ring, generating the first key when the directory is empty.
    public func loadOrCreate(now: Date) throws -> KeyRing {
        if let ring = try load(now: now) { return ring }
        _ = try write(SigningKey.generate(algorithm), now: now)
        guard let ring = try load(now: now) else { throw KeyError.noCurrentKey }
        return ring
    }

    /// Makes a new key current and deletes keys whose retention has passed. Returns the new key's id.
    @discardableResult
    public func rotate(now: Date) throws -> String {
        let key = try SigningKey.generate(algorithm)
        try write(key, now: now)
        for entry in expired(try entries(), now: now) {
            try? FileManager.default.removeItem(at: entry.file)
        }
        return key.kid
    }

    /// The ring as on disk now, or nil when there is no key yet.
    public func load(now: Date) throws -> KeyRing? {
        let all = try entries()
        guard let newest = all.last else { return nil }
        let current = try SigningKey(pem: String(contentsOf: newest.file, encoding: .utf8))
        let stale = Set(expired(all, now: now).map(\.file))
        let retired = try all.dropLast().filter { !stale.contains($0.file) }.map {
            try SigningKey(pem: String(contentsOf: $0.file, encoding: .utf8)).publicKey
        }
        return KeyRing(current: current, retired: retired)
    }

    /// A cheap fingerprint of the directory, to notice another process's rotation.
    func stamp() -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path.path)) ?? []
        return names.filter { $0.hasSuffix(".pem") }.sorted().joined(separator: ",")
    }

    private func entries() throws -> [Entry] {
        try ensureDirectory()
        let names = try FileManager.default.contentsOfDirectory(atPath: path.path)
        return names.compactMap { name -> Entry? in
            guard name.hasSuffix(".pem") else { return nil }
            let parts = name.dropLast(4).split(separator: "-", maxSplits: 1)
            guard parts.count == 2, let millis = Int64(parts[0]) else { return nil }
            return Entry(
                created: Date(timeIntervalSince1970: Double(millis) / 1000),
                kid: String(parts[1]),
                file: path.appendingPathComponent(name))
        }
        .sorted { ($0.created, $0.kid) < ($1.created, $1.kid) }
    }

    /// Keys retired (by a successor's creation) longer ago than `retention`.
    private func expired(_ sorted: [Entry], now: Date) -> [Entry] {
        guard sorted.count > 1 else { return [] }
        return zip(sorted, sorted.dropFirst()).compactMap { older, successor in
            now.timeIntervalSince(successor.created) > retention ? older : nil
        }
    }

    @discardableResult
    private func write(_ key: SigningKey, now: Date) throws -> URL {
        try ensureDirectory()
        let millis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let final = path.appendingPathComponent("\(millis)-\(key.kid).pem")
        let temporary = path.appendingPathComponent(".\(UUID().uuidString).tmp")
        // Created with 0600 from the start, so the private key is never readable by others.
        guard FileManager.default.createFile(
            atPath: temporary.path, contents: Data(key.pemRepresentation.utf8),
            attributes: [.posixPermissions: 0o600])
        else { throw KeyError.unreadableKey }
        if rename(temporary.path, final.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw KeyError.unreadableKey
        }
        return final
    }

    private func ensureDirectory() throws {
        try FileManager.default.createDirectory(
            at: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}

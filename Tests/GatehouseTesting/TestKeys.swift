import Foundation
import GatehouseCore

/// A fixed set of verification keys.
public struct StaticKeys: VerificationKeyProvider {
    public let keys: [VerificationKey]

    public init(keys: [VerificationKey]) { self.keys = keys }

    public func verificationKey(for kid: String) async -> VerificationKey? { keys.first { $0.kid == kid } }
}

/// Re-encodes a token's header or payload, keeping (now wrong) the original signature unless re-signed.
public enum Tamper {
    public static func segments(_ token: String) -> [String] { token.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

    public static func json(_ segment: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Base64URL.decode(segment)!)) as? [String: Any] ?? [:]
    }

    public static func encode(_ object: [String: Any]) -> String {
        Base64URL.encode(try! JSONSerialization.data(withJSONObject: object))
    }

    /// A token with `header` changed and signed again with `key` (or unsigned when nil).
    public static func resign(_ token: String, header change: (inout [String: Any]) -> Void, payload changePayload: (inout [String: Any]) -> Void = { _ in }, with key: SigningKey?) throws -> String {
        let parts = segments(token)
        var header = json(parts[0])
        var payload = json(parts[1])
        change(&header)
        changePayload(&payload)
        let input = encode(header) + "." + encode(payload)
        guard let key else { return input + "." }
        return input + "." + Base64URL.encode(try key.sign(Data(input.utf8)))
    }
}

import Crypto
import Foundation

/// Fresh secrets and their digests, made one way everywhere.
public enum Secrets {
    /// 256 random bits from the system CSPRNG, base64url: emailed tokens, OAuth `state`, `nonce`,
    /// PKCE verifiers.
    public static func token() -> String {
        Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max) })
    }

    /// Lower-case hex SHA-256, how one-time tokens are stored and rate-limit buckets are named.
    public static func sha256Hex(_ string: String) -> String {
        SHA256.hash(data: Data(string.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares two secrets without leaking through timing where they differ (only their lengths).
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        constantTimeEquals(Array(lhs.utf8), Array(rhs.utf8))
    }

    /// The same for bytes.
    public static func constantTimeEquals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        let a = Array(lhs)
        let b = Array(rhs)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

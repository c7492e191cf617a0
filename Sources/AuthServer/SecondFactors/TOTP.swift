import Crypto
import Foundation
import GatehouseCore

/// Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA-1, 6 digits, 30-second steps,
/// what every authenticator app speaks.
struct TOTP: Sendable {
    let secret: [UInt8]
    var digits = 6
    var step: TimeInterval = 30

    /// A fresh 160-bit secret (RFC 4226 recommends at least 128, and SHA-1's block wants 160).
    static func randomSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<20).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The step counter of `date` (T in RFC 6238).
    func counter(at date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / step).rounded(.down))
    }

    /// The code for step `counter` (HOTP, RFC 4226 §5.3).
    func code(counter: Int64) -> String {
        var message = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { message[7 - index] = UInt8(truncatingIfNeeded: UInt64(bitPattern: counter) >> (8 * UInt64(index))) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8)
            | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    func code(at date: Date) -> String { code(counter: counter(at: date)) }

    /// The step whose code `presented` is, within one step of clock drift either way; nil when none.
    /// Every candidate is compared in constant time, and all three are always computed.
    func matchingCounter(_ presented: String, at date: Date, drift: Int64 = 1) -> Int64? {
        let now = counter(at: date)
        var found: Int64?
        for candidate in (now - drift)...(now + drift) where Secrets.constantTimeEquals(code(counter: candidate), presented) {
            if found == nil { found = candidate }
        }
        return found
    }

    /// The `otpauth://` URI authenticator apps read from a QR code (Key Uri Format).
    func uri(issuer: String, account: String) -> String {
        let part = CharacterSet.urlPathAllowed.subtracting(["/", "?", "#", ":"])
        let label = "\(issuer.addingPercentEncoding(withAllowedCharacters: part) ?? ""):\(account.addingPercentEncoding(withAllowedCharacters: part) ?? "")"
        let issuerParameter = issuer.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "=", "+"])) ?? issuer
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(issuerParameter)&algorithm=SHA1&digits=\(digits)&period=\(Int(step))"
    }
}

/// RFC 4648 base32 (upper case, no padding), the alphabet of TOTP secrets.
enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for character in text.uppercased().utf8 where character != UInt8(ascii: "=") {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                output.append(UInt8((buffer >> UInt32(bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return output
    }
}

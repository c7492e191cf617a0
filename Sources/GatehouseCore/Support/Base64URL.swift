import Foundation

/// Base64url without padding (RFC 4648 §5), as JOSE requires.
///
/// Written out rather than built on Foundation's base64 plus string replacement: every token signed
/// or verified passes through here two or three times, and the Foundation route was a tenth of the
/// CPU time of a refresh in the profile (bench/README.md).
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let invalid: UInt8 = 0xFF
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (value, symbol) in alphabet.enumerated() { table[Int(symbol)] = UInt8(value) }
        return table
    }()

    /// The unpadded base64url text of `bytes`.
    public static func encode(_ bytes: some DataProtocol) -> String {
        let input = Array(bytes)
        let length = (input.count * 4 + 2) / 3
        return String(unsafeUninitializedCapacity: length) { output in
            var written = 0
            func put(_ sextet: UInt32) {
                output[written] = alphabet[Int(sextet & 0x3F)]
                written += 1
            }
            var index = 0
            while index + 3 <= input.count {
                let group = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                put(group >> 18); put(group >> 12); put(group >> 6); put(group)
                index += 3
            }
            switch input.count - index {
            case 1:
                let group = UInt32(input[index]) << 16
                put(group >> 18); put(group >> 12)
            case 2:
                let group = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
                put(group >> 18); put(group >> 12); put(group >> 6)
            default:
                break
            }
            return written
        }
    }

    /// Decodes strictly: padding and characters outside the url-safe alphabet are refused, and so is
    /// a length no encoder produces (one symbol past a whole group).
    public static func decode(_ string: some StringProtocol) -> Data? {
        let input = Array(string.utf8)
        guard input.count % 4 != 1 else { return nil }
        var output = Data(capacity: input.count * 3 / 4)
        var group: UInt32 = 0
        var symbols = 0
        for byte in input {
            let value = values[Int(byte)]
            guard value != invalid else { return nil }
            group = group << 6 | UInt32(value)
            symbols += 1
            if symbols == 4 {
                output.append(contentsOf: [UInt8(truncatingIfNeeded: group >> 16), UInt8(truncatingIfNeeded: group >> 8), UInt8(truncatingIfNeeded: group)])
                group = 0
                symbols = 0
            }
        }
        switch symbols {
        case 2:
            output.append(UInt8(truncatingIfNeeded: group >> 4))
        case 3:
            output.append(contentsOf: [UInt8(truncatingIfNeeded: group >> 10), UInt8(truncatingIfNeeded: group >> 2)])
        default:
            break
        }
        return output
    }
}

import Foundation

/// Quoted-printable content transfer encoding (RFC 2045 §6.7) for UTF-8 text bodies.
///
/// Mail bodies carry one-time links that are often longer than the 78-character line limit
/// some relays enforce; quoted-printable keeps every encoded line within 76 characters while
/// letting the decoder reassemble the link exactly.
enum QuotedPrintable {
    /// RFC 2045 caps encoded lines at 76 characters, including the `=` of a soft line break.
    static let maxLineLength = 76

    /// Encodes `text` as UTF-8 quoted-printable with CRLF hard line breaks.
    ///
    /// Line breaks in the input (CRLF, LF or a lone CR) become CRLF hard breaks; they are kept
    /// literal rather than encoded because the parts are `text/*`.
    static func encode(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        let lines = hardLines(of: Array(text.utf8))
        for (index, line) in lines.enumerated() {
            if index > 0 { output += "\r\n" }
            encodeLine(line, into: &output)
        }
        return output
    }

    /// Decodes quoted-printable text back to bytes; returns nil on a malformed `=` escape.
    ///
    /// Trailing whitespace on encoded lines is dropped, as RFC 2045 requires, because
    /// transports may have added it.
    static func decode(_ encoded: String) -> [UInt8]? {
        var output: [UInt8] = []
        let lines = hardLines(of: Array(encoded.utf8))
        for (index, rawLine) in lines.enumerated() {
            var line = rawLine[...]
            while let last = line.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
                line = line.dropLast()
            }
            var softBreak = false
            if line.last == UInt8(ascii: "=") {
                softBreak = true
                line = line.dropLast()
            }
            var cursor = line.startIndex
            while cursor < line.endIndex {
                let byte = line[cursor]
                if byte == UInt8(ascii: "=") {
                    guard line.endIndex - cursor >= 3,
                          let high = hexValue(line[cursor + 1]),
                          let low = hexValue(line[cursor + 2])
                    else { return nil }
                    output.append(high << 4 | low)
                    cursor += 3
                } else {
                    output.append(byte)
                    cursor += 1
                }
            }
            if !softBreak && index < lines.count - 1 {
                output.append(contentsOf: [0x0D, 0x0A])
            }
        }
        return output
    }

    // MARK: - Internals

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func encodeLine(_ line: [UInt8], into output: inout String) {
        var column = 0
        for (index, byte) in line.enumerated() {
            let isLast = index == line.count - 1
            let token = encodedToken(for: byte, atEndOfLine: isLast)
            // Leave room for the `=` of a soft break unless this token ends the hard line,
            // in which case it may use the full 76 columns.
            let limit = isLast ? maxLineLength : maxLineLength - 1
            if column + token.count > limit {
                output += "=\r\n"
                column = 0
            }
            output += token
            column += token.count
        }
    }

    private static func encodedToken(for byte: UInt8, atEndOfLine: Bool) -> String {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"):
            // Whitespace at the end of a line would be stripped in transit.
            return atEndOfLine ? escaped(byte) : String(UnicodeScalar(byte))
        case UInt8(ascii: "="):
            return escaped(byte)
        case 33...126:
            return String(UnicodeScalar(byte))
        default:
            return escaped(byte)
        }
    }

    private static func escaped(_ byte: UInt8) -> String {
        String(decoding: [UInt8(ascii: "="), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]], as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// Splits on CRLF, LF or a lone CR, so input from any platform gets canonical CRLF breaks.
    private static func hardLines(of bytes: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D {
                lines.append(current)
                current = []
                if index + 1 < bytes.count && bytes[index + 1] == 0x0A { index += 1 }
            } else if byte == 0x0A {
                lines.append(current)
                current = []
            } else {
                current.append(byte)
            }
            index += 1
        }
        lines.append(current)
        return lines
    }
}

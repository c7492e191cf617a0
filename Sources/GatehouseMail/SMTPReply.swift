import Foundation

/// One complete SMTP reply: a three-digit code and its text lines (`250-a`, `250 b` → `["a", "b"]`).
struct SMTPReply: Sendable, Equatable {
    var code: Int
    var lines: [String]

    /// Server text for error messages: control characters dropped and length capped, since
    /// it comes from the network and ends up in logs.
    var sanitizedText: String {
        let joined = lines.joined(separator: " ")
        let printable = String(joined.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.map(Character.init))
        return printable.count > 200 ? String(printable.prefix(200)) + "…" : printable
    }

    /// EHLO keywords (upper-cased) mapped to their parameters, from every line but the first.
    var ehloExtensions: [String: [String]] {
        var extensions: [String: [String]] = [:]
        for line in lines.dropFirst() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
            guard let keyword = words.first?.uppercased() else { continue }
            // Old servers advertise `AUTH=LOGIN` next to `AUTH PLAIN LOGIN`: merge both.
            extensions[keyword, default: []] += words.dropFirst().map { $0.uppercased() }
        }
        return extensions
    }
}

extension SMTPReply {
    /// Throws `unexpectedReply` unless the code is `expected`; auth steps omit the server text.
    func expect(_ expected: Int..., at step: SMTPStep) throws {
        guard !expected.contains(code) else { return }
        throw SMTPError.unexpectedReply(step: step, code: code, text: step == .auth ? nil : sanitizedText)
    }
}

/// Assembles reply lines into replies, enforcing RFC 5321 §4.2 framing.
struct SMTPReplyParser {
    /// RFC 5321 allows 512 octets per reply line; leave slack for sloppy servers.
    static let maxLineLength = 4096
    /// Bounds memory for a hostile server that never ends a multi-line reply.
    static let maxLines = 256

    private var code: Int?
    private var lines: [String] = []

    /// Feeds one line (without CRLF); returns a reply when this line completes one.
    mutating func feed(_ line: String) throws -> SMTPReply? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ (0x30...0x39).contains($0) }),
              let code = Int(String(decoding: bytes[0...2], as: UTF8.self)), (200...599).contains(code)
        else { throw SMTPError.protocolViolation("malformed reply line") }
        let separator = bytes.count > 3 ? bytes[3] : UInt8(ascii: " ")
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw SMTPError.protocolViolation("malformed reply line")
        }
        if let current = self.code, current != code {
            throw SMTPError.protocolViolation("reply code changed inside a multi-line reply")
        }
        guard lines.count < Self.maxLines else { throw SMTPError.protocolViolation("reply too long") }
        self.code = code
        lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        guard separator == UInt8(ascii: " ") else { return nil }
        defer { self.code = nil; self.lines = [] }
        return SMTPReply(code: code, lines: lines)
    }

    /// True while a multi-line reply has started but not finished.
    var isMidReply: Bool { code != nil }
}

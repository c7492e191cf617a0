import Foundation

/// Header-value encoding for rendered mail: RFC 2047 encoded-words for non-ASCII text and
/// RFC 5322 folding so header lines stay within the recommended 78 characters.
enum MIMEHeader {
    /// Recommended (not hard) RFC 5322 line limit; relays may rewrap longer lines.
    static let foldWidth = 78
    /// RFC 2047 caps a single encoded-word at 75 characters.
    static let maxEncodedWordLength = 75
    private static let encodedWordOverhead = "=?UTF-8?B??=".count

    /// Renders `name: value` for an unstructured field such as `Subject`, folded with CRLF.
    static func unstructured(name: String, value: String) -> String {
        let prefix = "\(name): "
        if needsEncoding(value) {
            return prefix + encodedWords(value, firstLineUsed: prefix.count).joined(separator: "\r\n ")
        }
        return prefix + fold(value, firstLineUsed: prefix.count)
    }

    /// Renders a display name: as is when it is plain atoms, quoted when it has specials,
    /// encoded-words when it is not printable ASCII.
    static func phrase(_ text: String) -> String {
        if needsEncoding(text) {
            return encodedWords(text, firstLineUsed: "From: ".count).joined(separator: "\r\n ")
        }
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ".unicodeScalars)
        if text.unicodeScalars.allSatisfy({ atext.contains($0) }) {
            return text
        }
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// True when `text` has anything but printable ASCII and spaces, or a word too long to fold.
    static func needsEncoding(_ text: String) -> Bool {
        let unprintable = text.unicodeScalars.contains { $0.value < 0x20 || $0.value > 0x7E }
        // A single word longer than a line cannot be folded; encoded-words can be split anywhere.
        let overlong = text.split(separator: " ").contains { $0.utf8.count > foldWidth - 8 }
        // `=?` could be mistaken for the start of an encoded-word by the reader's mail client.
        return unprintable || overlong || text.contains("=?")
    }

    /// Splits `text` into base64 encoded-words, each a whole number of Unicode scalars, sized
    /// so that every folded line stays within `foldWidth`.
    static func encodedWords(_ text: String, firstLineUsed: Int) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        var budget = byteBudget(lineUsed: firstLineUsed)
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if !chunk.isEmpty && chunk.count + bytes.count > budget {
                words.append(encodedWord(chunk))
                chunk = []
                budget = byteBudget(lineUsed: 1)
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(encodedWord(chunk)) }
        return words
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }

    /// Raw bytes that fit in one encoded-word on a line that already has `lineUsed` characters.
    private static func byteBudget(lineUsed: Int) -> Int {
        let room = min(maxEncodedWordLength, foldWidth - lineUsed) - encodedWordOverhead
        return max(3, room / 4 * 3)
    }

    /// Folds plain ASCII text at spaces; each fold keeps the space as the continuation's indent,
    /// so unfolding (removing CRLF) restores the original exactly.
    static func fold(_ text: String, firstLineUsed: Int) -> String {
        var result = ""
        var lineLength = firstLineUsed
        for (index, word) in text.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            if index == 0 {
                result += word
                lineLength += word.count
            } else if !word.isEmpty && lineLength + 1 + word.count > foldWidth {
                result += "\r\n " + word
                lineLength = 1 + word.count
            } else {
                result += " " + word
                lineLength += 1 + word.count
            }
        }
        return result
    }
}

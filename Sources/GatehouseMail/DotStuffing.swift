import Foundation
import NIOCore

/// SMTP `DATA` transparency (RFC 5321 §4.5.2).
enum DotStuffing {
    /// Normalises line endings to CRLF, doubles a leading `.` on every line, and appends the
    /// `.` terminator line, so no content line can end the transaction early.
    static func encode(_ message: String) -> ByteBuffer {
        var lines = message.replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
        // A trailing line break yields an empty last element; the terminator supplies that CRLF.
        if lines.last?.isEmpty == true { lines.removeLast() }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(message.utf8.count + lines.count + 8)
        for line in lines {
            if line.hasPrefix(".") { buffer.writeString(".") }
            buffer.writeString(String(line))
            buffer.writeString("\r\n")
        }
        buffer.writeString(".\r\n")
        return buffer
    }
}

import Foundation

/// A `MailMessage` rendered as an RFC 5322 / MIME message ready for SMTP `DATA` or an `.eml` file.
///
/// The body is `multipart/alternative` with a `text/plain` and a `text/html` part, both UTF-8
/// and quoted-printable, so long one-time links survive relays that rewrap long lines.
/// Every line ends in CRLF and the rendering is pure ASCII.
public struct MIMEDocument: Sendable {
    /// The parsed `From` value; its address is the SMTP `MAIL FROM`.
    public let sender: MailAddress
    /// The parsed `To` value; its address is the SMTP `RCPT TO`.
    public let recipient: MailAddress
    /// The `Message-ID` header value, angle brackets included.
    public let messageID: String
    /// The complete message: headers, blank line, body.
    public let rendered: String

    /// The rendering as bytes (it is ASCII, so UTF-8 is the identity).
    public var data: Data { Data(rendered.utf8) }

    /// Renders `message` as sent by `from` (for example `Gatehouse <no-reply@localhost>`).
    ///
    /// - Throws: `MailFormatError` when a header value contains CR, LF or NUL, or when `from`
    ///   or `message.to` is not a valid address.
    public init(message: MailMessage, from: String, date: Date = Date()) throws {
        let sender = try MailAddress(parsing: from, field: "From")
        let recipient = try MailAddress(parsing: message.to, field: "To")
        guard !message.subject.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
            throw MailFormatError.headerInjection(field: "Subject")
        }
        self.sender = sender
        self.recipient = recipient
        self.messageID = "<\(Self.randomHex(bytes: 16))@\(sender.domain)>"

        // 128 random bits make a collision with body text (which is QP-encoded anyway) negligible.
        let boundary = "gatehouse-\(Self.randomHex(bytes: 16))"
        var lines: [String] = [
            "Date: \(Self.rfc5322Date(date))",
            "From: \(sender.headerValue)",
            "To: \(recipient.headerValue)",
            MIMEHeader.unstructured(name: "Subject", value: message.subject),
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
            // Transactional mail: tells autoresponders (RFC 3834) not to reply.
            "Auto-Submitted: auto-generated",
            // Folded: on one line the boundary pushes the header past 78 characters.
            "Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"",
            "",
            "This is a multi-part message in MIME format.",
        ]
        for (type, body) in [("text/plain", message.textBody), ("text/html", message.htmlBody)] {
            lines += [
                "--\(boundary)",
                "Content-Type: \(type); charset=UTF-8",
                "Content-Transfer-Encoding: quoted-printable",
                "",
                QuotedPrintable.encode(body),
            ]
        }
        lines.append("--\(boundary)--")
        self.rendered = lines.joined(separator: "\r\n") + "\r\n"
    }

    /// `Date` header format, e.g. `Tue, 01 Jul 2025 09:05:00 +0000`; always UTC so the
    /// output does not depend on the host's time zone or locale.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}

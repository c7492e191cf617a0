import Foundation
import Logging

/// Development transport: writes each message as an `.eml` file and logs where it went.
///
/// With `logsLinks` (only `gatehouse dev`, for trying Gatehouse out on one machine) it also logs the
/// message's first link: the one place a link from a message body may reach a log line. Otherwise
/// the link is read from the file, never from the log.
/// Files are created in a 0700 directory and written to a temporary name first, then renamed,
/// so anything watching the directory never sees a half-written message.
public struct OutboxMailer: Mailer {
    /// Where `.eml` files are written.
    public let directory: URL
    private let from: String
    private let logger: Logger
    private let logsLinks: Bool

    /// - Parameters:
    ///   - directory: Created (mode 0700) on first send if missing.
    ///   - from: The `From` header, e.g. `Gatehouse <no-reply@localhost>`.
    /// - Throws: `MailFormatError` when `from` is not a valid address.
    public init(directory: URL, from: String, logger: Logger, logsLinks: Bool = false) throws {
        _ = try MailAddress(parsing: from, field: "From")
        self.directory = directory
        self.from = from
        self.logger = logger
        self.logsLinks = logsLinks
    }

    /// Convenience for a filesystem path.
    public init(directory: String, from: String, logger: Logger, logsLinks: Bool = false) throws {
        try self.init(directory: URL(fileURLWithPath: directory, isDirectory: true), from: from, logger: logger, logsLinks: logsLinks)
    }

    public func send(_ message: MailMessage) async throws {
        let document = try MIMEDocument(message: message, from: from)
        let fileURL = try write(document.data)
        guard logsLinks else {
            logger.info("mail to \(document.recipient.address) written to \(fileURL.path)")
            return
        }
        let link = Self.firstLink(in: message.textBody) ?? "none"
        logger.info("mail to \(document.recipient.address) written to \(fileURL.path); link: \(link)")
    }

    /// Writes `data` under a fresh unique name and returns the final URL.
    private func write(_ data: Data) throws -> URL {
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: directory.path) {
            try fileManager.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let name = "\(Self.timestamp())-\(MIMEDocument.randomHex(bytes: 8))"
        // The leading dot keeps the partial file out of `*.eml` globs until the rename.
        let temporary = directory.appendingPathComponent(".\(name).tmp")
        let final = directory.appendingPathComponent("\(name).eml")
        try data.write(to: temporary, options: .withoutOverwriting)
        do {
            // Bodies carry one-time links: readable by the server's user only.
            try fileManager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary.path)
            try fileManager.moveItem(at: temporary, to: final)
        } catch {
            try? fileManager.removeItem(at: temporary)
            throw error
        }
        return final
    }

    /// UTC, sortable, filename-safe: `20250701T090500.123Z`.
    private static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return formatter.string(from: Date())
    }

    /// The first `http://` or `https://` URL in `text`, without trailing sentence punctuation.
    static func firstLink(in text: String) -> String? {
        let starts = ["https://", "http://"].compactMap { text.range(of: $0, options: .caseInsensitive) }
        guard let start = starts.min(by: { $0.lowerBound < $1.lowerBound }) else { return nil }
        let terminators = Set(" \t\r\n<>\"'".unicodeScalars)
        var link = String(text[start.lowerBound...].unicodeScalars.prefix { !terminators.contains($0) })
        while let last = link.last, ".,;:!?)]".contains(last) {
            link.removeLast()
        }
        return link
    }
}

import Foundation

/// A mail ready to hand to a transport: the outbox stores it, a `Mailer` delivers it.
public struct MailMessage: Sendable, Codable, Equatable {
    public var to: String
    public var subject: String
    public var textBody: String
    public var htmlBody: String

    public init(to: String, subject: String, textBody: String, htmlBody: String) {
        self.to = to
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
    }
}

/// Delivers one message. Implementations throw on any failure so the outbox worker retries later;
/// they must never log message bodies, which carry one-time links.
public protocol Mailer: Sendable {
    func send(_ message: MailMessage) async throws
}

import Foundation

/// The stage of an SMTP conversation, so failures say where they happened.
public enum SMTPStep: String, Sendable, Equatable {
    case connect, greeting, ehlo, startTLS, auth, mailFrom, rcptTo, data, messageBody, quit
}

/// Why an SMTP delivery failed.
///
/// Safe to log: no case ever carries the password, the message body or the server's answer
/// to an authentication step (servers sometimes echo the credential they could not decode).
public enum SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The SMTP URL is malformed; the reason never quotes the URL, which may hold a password.
    case invalidURL(reason: String)
    /// TCP connection to `host:port` failed.
    case connectionFailed(host: String, port: Int, reason: String)
    /// The server took longer than the configured timeout at `step`.
    case timedOut(SMTPStep)
    /// The server closed the connection at `step`.
    case connectionClosed(SMTPStep)
    /// TLS setup or the encrypted stream failed.
    case tlsFailed(reason: String)
    /// Reading or writing the socket failed at `step`.
    case transport(step: SMTPStep, reason: String)
    /// The server answered `code` where another was needed; `text` is nil for auth steps.
    case unexpectedReply(step: SMTPStep, code: Int, text: String?)
    /// The server broke the protocol (malformed reply, data where none was expected, ...).
    case protocolViolation(String)
    /// Credentials would go over an unencrypted connection to a host that is not loopback.
    case credentialsRequireTLS
    /// A non-loopback `smtp://` server did not offer STARTTLS; `smtp+insecure://` allows plaintext.
    case tlsRequired
    /// Credentials were configured but the server offers neither AUTH PLAIN nor AUTH LOGIN.
    case authenticationUnavailable

    public var description: String {
        switch self {
        case .invalidURL(let reason):
            "invalid SMTP URL: \(reason)"
        case .connectionFailed(let host, let port, let reason):
            "cannot connect to SMTP server \(host):\(port): \(reason)"
        case .timedOut(let step):
            "SMTP server timed out at \(step.rawValue)"
        case .connectionClosed(let step):
            "SMTP server closed the connection at \(step.rawValue)"
        case .tlsFailed(let reason):
            "SMTP TLS failure: \(reason)"
        case .transport(let step, let reason):
            "SMTP connection failed at \(step.rawValue): \(reason)"
        case .unexpectedReply(let step, let code, let text):
            "SMTP server replied \(code) at \(step.rawValue)" + (text.map { ": \($0)" } ?? "")
        case .protocolViolation(let detail):
            "SMTP protocol violation: \(detail)"
        case .credentialsRequireTLS:
            "refusing to send SMTP credentials over an unencrypted connection to a non-loopback host"
        case .tlsRequired:
            "the SMTP server does not offer STARTTLS; use smtps:// or, to send in clear, smtp+insecure://"
        case .authenticationUnavailable:
            "SMTP server offers no supported AUTH mechanism (PLAIN or LOGIN)"
        }
    }
}

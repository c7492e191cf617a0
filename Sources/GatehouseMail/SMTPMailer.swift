import Foundation
import Logging
import NIOCore
import NIOSSL

/// Delivers mail to an SMTP relay, one connection per message.
///
/// `smtp://` connections upgrade with STARTTLS whenever the server offers it; `smtps://` uses
/// TLS from the first byte. Credentials from the URL are sent with AUTH PLAIN (or AUTH LOGIN
/// when PLAIN is not offered), and only over TLS unless the connected peer is loopback, where
/// a local relay or test sink cannot be sniffed. Failures throw `SMTPError`, which never carries
/// the password or the message, so the outbox worker can log it and retry.
public struct SMTPMailer: Mailer {
    public let endpoint: SMTPEndpoint
    private let from: String
    private let group: any EventLoopGroup
    private let sslContext: NIOSSLContext
    private let timeout: TimeAmount
    private let logger: Logger

    /// - Parameters:
    ///   - url: `smtp://[user:pass@]host[:port]` (default port 25) or `smtps://…` (default 465).
    ///   - from: The `From` header and, via its address, the envelope sender.
    ///   - eventLoopGroup: Where connections run, e.g. the application's group.
    ///   - tlsConfiguration: Overrides the default (system trust roots, full certificate and
    ///     hostname verification, TLS 1.2 or later). Only tests should pass a weaker one.
    ///   - timeout: Limit for connecting and for each command's reply.
    /// - Throws: `SMTPError.invalidURL`, `MailFormatError` for a bad `from`, or the TLS
    ///   library's error when the configuration cannot be loaded.
    public init(
        url: String,
        from: String,
        eventLoopGroup: any EventLoopGroup,
        tlsConfiguration: TLSConfiguration? = nil,
        timeout: TimeAmount = .seconds(30),
        logger: Logger = Logger(label: "gatehouse.mail.smtp")
    ) throws {
        self.endpoint = try SMTPEndpoint(url: url)
        _ = try MailAddress(parsing: from, field: "From")
        self.from = from
        self.group = eventLoopGroup
        self.timeout = timeout
        self.logger = logger
        var tls = tlsConfiguration ?? .makeClientConfiguration()
        if tlsConfiguration == nil { tls.minimumTLSVersion = .tlsv12 }
        // Built once: loading trust roots is blocking disk I/O that must stay off the event loop.
        self.sslContext = try NIOSSLContext(configuration: tls)
    }

    public func send(_ message: MailMessage) async throws {
        let document = try MIMEDocument(message: message, from: from)
        let client = try await SMTPClient.connect(to: endpoint, group: group, sslContext: sslContext, timeout: timeout)
        let encrypted: Bool
        do {
            encrypted = try await deliver(document, over: client)
        } catch {
            client.close()
            throw error
        }
        // The message is accepted at this point: a failed QUIT must not trigger a resend, and a
        // server slow to say goodbye should not hold the outbox worker for a full timeout.
        _ = try? await client.command("QUIT", step: .quit, timeout: min(timeout, .seconds(5)))
        client.close()
        logger.debug("SMTP accepted message", metadata: [
            "message-id": "\(document.messageID)",
            "server": "\(endpoint.host):\(endpoint.port)",
            "tls": "\(encrypted)",
        ])
    }

    /// Runs the conversation up to the accepted message; returns whether it was encrypted.
    private func deliver(_ document: MIMEDocument, over client: SMTPClient) async throws -> Bool {
        // RFC 5321 wants our own domain here; the sender's domain is the closest we know.
        let domain = document.sender.domain
        var extensions = try await ehlo(domain, client)
        var encrypted = endpoint.security == .implicitTLS

        if !encrypted && extensions["STARTTLS"] == nil && !client.peerIsLoopback {
            guard endpoint.allowsPlaintext(peerIsLoopback: false) else { throw SMTPError.tlsRequired }
            logger.warning("SMTP server does not offer STARTTLS; sending without encryption (smtp+insecure://)", metadata: [
                "server": "\(endpoint.host):\(endpoint.port)",
            ])
        }
        if !encrypted && extensions["STARTTLS"] != nil {
            try await client.command("STARTTLS", step: .startTLS, isStartTLS: true).expect(220, at: .startTLS)
            try await client.startTLS(sslContext: sslContext, serverName: endpoint.hostIsIPLiteral ? nil : endpoint.host)
            encrypted = true
            // RFC 3207 §4.2: discard what was learnt in plaintext; a MITM could have edited it.
            extensions = try await ehlo(domain, client)
        }

        if let credentials = endpoint.credentials {
            guard encrypted || client.peerIsLoopback else { throw SMTPError.credentialsRequireTLS }
            try await authenticate(credentials, offered: extensions["AUTH"] ?? [], client)
        }

        try await client.command("MAIL FROM:<\(document.sender.address)>", step: .mailFrom).expect(250, at: .mailFrom)
        try await client.command("RCPT TO:<\(document.recipient.address)>", step: .rcptTo).expect(250, 251, at: .rcptTo)
        try await client.command("DATA", step: .data).expect(354, at: .data)
        try await client.send(DotStuffing.encode(document.rendered), step: .messageBody).expect(250, at: .messageBody)
        return encrypted
    }

    private func ehlo(_ domain: String, _ client: SMTPClient) async throws -> [String: [String]] {
        let reply = try await client.command("EHLO \(domain)", step: .ehlo)
        // 500/502: a pre-ESMTP server; HELO works but offers no extensions (so no TLS or AUTH).
        if reply.code == 500 || reply.code == 502 {
            try await client.command("HELO \(domain)", step: .ehlo).expect(250, at: .ehlo)
            return [:]
        }
        try reply.expect(250, at: .ehlo)
        return reply.ehloExtensions
    }

    private func authenticate(_ credentials: SMTPCredentials, offered: [String], _ client: SMTPClient) async throws {
        let base64 = { (text: String) in Data(text.utf8).base64EncodedString() }
        if offered.contains("PLAIN") {
            // RFC 4616: authzid (empty), authcid, password, NUL-separated.
            let response = base64("\0\(credentials.username)\0\(credentials.password)")
            try await client.command("AUTH PLAIN \(response)", step: .auth).expect(235, at: .auth)
        } else if offered.contains("LOGIN") {
            try await client.command("AUTH LOGIN", step: .auth).expect(334, at: .auth)
            try await client.command(base64(credentials.username), step: .auth).expect(334, at: .auth)
            try await client.command(base64(credentials.password), step: .auth).expect(235, at: .auth)
        } else {
            throw SMTPError.authenticationUnavailable
        }
    }
}

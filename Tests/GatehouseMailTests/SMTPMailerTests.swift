import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing

@testable import GatehouseMail

// Mail transports: MIME rendering, the outbox, and the SMTP client.
//
// Pure tests always run. The in-process tests talk to small NIO servers on 127.0.0.1.
// The live tests start scripts/smtp_sink.py (needs `pip install aiosmtpd` and the openssl
// CLI) and run only with GATEHOUSE_TEST_SMTP_SINK=1.

private let mailTestSender = "Gatehouse <no-reply@localhost>"
private let mailTestLink = "https://auth.example.test/verify-email?token=" + String(repeating: "AbC-_9", count: 30)
    + "&next=%2Fdashboard%3Ftab%3Dsecurity&sig=a=b=="

private func mailTestMessage(to: String = "alice@example.test", subject: String = "Verify your email") -> MailMessage {
    MailMessage(
        to: to,
        subject: subject,
        textBody: "Hello,\n\nConfirm your address: \(mailTestLink)\n.\n..leading dots survive\nThanks \n",
        htmlBody: "<p>Hello,</p><p><a href=\"\(mailTestLink)\">Confirm your address</a></p>"
    )
}

/// Groups this file's suites so their names cannot clash with other test files.
@Suite struct SMTPMailerTests {}

// MARK: - Quoted-printable

extension SMTPMailerTests {
    @Suite struct QuotedPrintableTests {
        @Test func longLinkRoundTripsWithShortLines() throws {
            let encoded = QuotedPrintable.encode("Open \(mailTestLink) now")
            let lines = encoded.components(separatedBy: "\r\n")
            #expect(lines.count > 2)
            #expect(lines.allSatisfy { $0.utf8.count <= 76 })
            #expect(lines.dropLast().allSatisfy { $0.hasSuffix("=") }, "long text continues with soft breaks")
            #expect(encoded.contains("=3D"), "'=' is escaped")
            #expect(!encoded.contains("token=A"), "no bare '=' survives")
            let decoded = try #require(QuotedPrintable.decode(encoded))
            #expect(String(decoding: decoded, as: UTF8.self) == "Open \(mailTestLink) now")
        }

        @Test func escapesNonASCIITrailingWhitespaceAndNormalisesLineBreaks() throws {
            let encoded = QuotedPrintable.encode("café \nend\t\r\nx\ry")
            #expect(encoded == "caf=C3=A9=20\r\nend=09\r\nx\r\ny")
            let decoded = try #require(QuotedPrintable.decode(encoded))
            #expect(String(decoding: decoded, as: UTF8.self) == "café \r\nend\t\r\nx\r\ny")
        }

        @Test(arguments: [
            "",
            String(repeating: "a", count: 76),
            String(repeating: "a", count: 77),
            String(repeating: "a", count: 75) + "=",
            String(repeating: "é", count: 40),
            String(repeating: "x ", count: 60),
            "=\r\n=\r\n",
            "🔐 ünïcødé line\n\n\nwith blanks ",
        ])
        func roundTrips(_ text: String) throws {
            let encoded = QuotedPrintable.encode(text)
            #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
            #expect(encoded.unicodeScalars.allSatisfy { $0.isASCII })
            let decoded = try #require(QuotedPrintable.decode(encoded))
            let expected = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
            #expect(String(decoding: decoded, as: UTF8.self) == expected)
        }

        @Test func randomTextRoundTrips() throws {
            let alphabet = Array("ab =\t.\n-é€😀xyz0123456789/?&")
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<200 {
                let text = String((0..<Int.random(in: 0...300, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
                let encoded = QuotedPrintable.encode(text)
                #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 && !$0.hasSuffix(" ") && !$0.hasSuffix("\t") })
                let decoded = try #require(QuotedPrintable.decode(encoded))
                #expect(String(decoding: decoded, as: UTF8.self) == text.replacingOccurrences(of: "\n", with: "\r\n"))
            }
        }

        @Test func rejectsMalformedEscapes() {
            #expect(QuotedPrintable.decode("abc=4") == nil)
            #expect(QuotedPrintable.decode("abc=ZZ") == nil)
        }
    }
}

// MARK: - MIME document

extension SMTPMailerTests {
    @Suite struct MIMEDocumentTests {
        @Test func rendersMultipartAlternativeWithQuotedPrintableParts() throws {
            let document = try MIMEDocument(message: mailTestMessage(), from: mailTestSender, date: Date(timeIntervalSince1970: 0))
            let raw = document.rendered
            #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF only")
            #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\r"), "CRLF only")
            #expect(raw.unicodeScalars.allSatisfy { $0.isASCII })
            #expect(raw.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 998 })

            let mail = try MailTestParsedMail(raw)
            #expect(mail.header("Date") == "Thu, 01 Jan 1970 00:00:00 +0000")
            #expect(mail.header("From") == "Gatehouse <no-reply@localhost>")
            #expect(mail.header("To") == "alice@example.test")
            #expect(mail.header("Subject") == "Verify your email")
            #expect(mail.header("MIME-Version") == "1.0")
            let messageID = try #require(mail.header("Message-ID"))
            #expect(messageID == document.messageID)
            #expect(messageID.hasPrefix("<") && messageID.hasSuffix("@localhost>") && messageID.count > 20)
            #expect(mail.header("Content-Type")?.hasPrefix("multipart/alternative; boundary=") == true)

            #expect(mail.parts.count == 2)
            #expect(mail.parts[0].header("Content-Type") == "text/plain; charset=UTF-8")
            #expect(mail.parts[1].header("Content-Type") == "text/html; charset=UTF-8")
            #expect(mail.parts.allSatisfy { $0.header("Content-Transfer-Encoding") == "quoted-printable" })
            #expect(mail.parts.allSatisfy { $0.body.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 } })
            let text = try mail.parts[0].decodedBody()
            #expect(text.contains(mailTestLink))
            #expect(text.contains("\r\n.\r\n..leading dots survive\r\nThanks \r\n"))
            #expect(try mail.parts[1].decodedBody().contains("href=\"\(mailTestLink)\""))
        }

        @Test func messageIDsAreUnique() throws {
            let first = try MIMEDocument(message: mailTestMessage(), from: mailTestSender)
            let second = try MIMEDocument(message: mailTestMessage(), from: mailTestSender)
            #expect(first.messageID != second.messageID)
        }

        @Test func encodesNonASCIISubjectAndDisplayName() throws {
            let subject = "Bestätigen Sie Ihre E-Mail-Adresse — 🔐 " + String(repeating: "ü", count: 40)
            let document = try MIMEDocument(message: mailTestMessage(subject: subject), from: "Gätehouse Sécurité <no-reply@example.test>")
            let mail = try MailTestParsedMail(document.rendered)
            let rawSubject = try #require(mail.header("Subject"))
            #expect(rawSubject.hasPrefix("=?UTF-8?B?"))
            #expect(document.rendered.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
            #expect(try mailTestDecodeEncodedWords(rawSubject) == subject)
            let from = try #require(mail.header("From"))
            #expect(from.hasSuffix(" <no-reply@example.test>"))
            #expect(try mailTestDecodeEncodedWords(String(from.dropLast(" <no-reply@example.test>".count))) == "Gätehouse Sécurité")
        }

        @Test func quotesDisplayNamesWithSpecialsAndFoldsLongSubjects() throws {
            let subject = Array(repeating: "word", count: 40).joined(separator: " ")
            let document = try MIMEDocument(message: mailTestMessage(subject: subject), from: "Gatehouse, Inc. <no-reply@localhost>")
            #expect(document.rendered.contains("From: \"Gatehouse, Inc.\" <no-reply@localhost>\r\n"))
            #expect(document.rendered.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
            #expect(try MailTestParsedMail(document.rendered).header("Subject") == subject)
        }

        @Test(arguments: [
            ("Hi\r\nBcc: victim@example.test", "Subject"),
            ("Hi\nBcc: victim@example.test", "Subject"),
            ("Hi\rX: y", "Subject"),
        ])
        func refusesHeaderInjectionInSubject(subject: String, field: String) {
            #expect(throws: MailFormatError.headerInjection(field: field)) {
                try MIMEDocument(message: mailTestMessage(subject: subject), from: mailTestSender)
            }
        }

        @Test func refusesHeaderInjectionInAddresses() {
            #expect(throws: MailFormatError.headerInjection(field: "To")) {
                try MIMEDocument(message: mailTestMessage(to: "alice@example.test\r\nBcc: victim@example.test"), from: mailTestSender)
            }
            #expect(throws: MailFormatError.headerInjection(field: "From")) {
                try MIMEDocument(message: mailTestMessage(), from: "Gatehouse\n <no-reply@localhost>")
            }
        }

        @Test(arguments: ["", "alice", "@example.test", "alice@", "a b@example.test", "alice@exa mple.test",
                          "<alice@example.test", "alice@example..test", "alice@-example.test", "x@y>\r", "a\"b@example.test"])
        func refusesInvalidRecipients(_ to: String) {
            #expect(throws: MailFormatError.self) {
                try MIMEDocument(message: mailTestMessage(to: to), from: mailTestSender)
            }
        }
    }
}

extension SMTPMailerTests {
    @Suite struct MailAddressTests {
        @Test func parsesEnvelopeAddresses() throws {
            #expect(try MailAddress.envelopeAddress(of: "Gatehouse <no-reply@localhost>") == "no-reply@localhost")
            #expect(try MailAddress.envelopeAddress(of: "  bob+tag@mail.example.test ") == "bob+tag@mail.example.test")
            #expect(try MailAddress.envelopeAddress(of: "<bare@example.test>") == "bare@example.test")
            let quoted = try MailAddress(parsing: "\"Doe, \\\"J\\\"\" <j@example.test>")
            #expect(quoted.displayName == "Doe, \"J\"")
            #expect(quoted.domain == "example.test")
            #expect(throws: MailFormatError.self) { try MailAddress.envelopeAddress(of: "Name <not-an-address>") }
        }
    }
}

// MARK: - SMTP building blocks

extension SMTPMailerTests {
    @Suite struct SMTPBuildingBlockTests {
        @Test func parsesURLsWithDefaultsAndPercentDecoding() throws {
            let plain = try SMTPEndpoint(url: "smtp://mail.example.test")
            #expect(plain.host == "mail.example.test" && plain.port == 25 && plain.security == .startTLS)
            #expect(plain.credentials == nil)

            let implicit = try SMTPEndpoint(url: "SMTPS://relay.example.test/")
            #expect(implicit.port == 465 && implicit.security == .implicitTLS)

            let withAuth = try SMTPEndpoint(url: "smtp://mailer%40example.test:p%40ss%3Aw%25rd@127.0.0.1:2525")
            #expect(withAuth.credentials == SMTPCredentials(username: "mailer@example.test", password: "p@ss:w%rd"))
            #expect(withAuth.host == "127.0.0.1" && withAuth.port == 2525 && withAuth.hostIsIPLiteral)

            let v6 = try SMTPEndpoint(url: "smtps://[::1]:4650")
            #expect(v6.host == "::1" && v6.port == 4650 && v6.hostIsIPLiteral)
            #expect(!plain.hostIsIPLiteral)
        }

        @Test(arguments: ["http://x", "smtp://", "smtp://host:0", "smtp://host:99999", "smtp://host:abc",
                          "smtp://user@host", "smtp://u:hunter2@host/path", "smtp://u:hunter2%zz@host", "mail.example.test"])
        func rejectsBadURLsWithoutEchoingThem(_ url: String) throws {
            let error = try #require(throws: SMTPError.self) { try SMTPEndpoint(url: url) }
            #expect(!"\(error)".contains("hunter2"))
        }

        @Test("smtp:// needs STARTTLS from a non-loopback server; plaintext only on loopback or with smtp+insecure://")
        func startTLSRequiredUnlessInsecure() throws {
            let strict = try SMTPEndpoint(url: "smtp://relay.example.test")
            #expect(!strict.allowsPlaintext(peerIsLoopback: false))
            #expect(strict.allowsPlaintext(peerIsLoopback: true))
            let insecure = try SMTPEndpoint(url: "smtp+insecure://relay.example.test:2525")
            #expect(insecure.security == .startTLSWhenOffered && insecure.port == 2525)
            #expect(insecure.allowsPlaintext(peerIsLoopback: false))
            #expect(SMTPError.tlsRequired.description.contains("smtp+insecure://"))
        }

        @Test func credentialsNeverPrintThePassword() throws {
            let credentials = SMTPCredentials(username: "mailer", password: "hunter2")
            var dumped = ""
            dump(credentials, to: &dumped)
            let endpoint = try SMTPEndpoint(url: "smtps://mailer:hunter2@relay.example.test")
            var dumpedEndpoint = ""
            dump(endpoint, to: &dumpedEndpoint)
            for text in ["\(credentials)", String(reflecting: credentials), dumped, "\(endpoint)", dumpedEndpoint] {
                #expect(!text.contains("hunter2"))
            }
        }

        @Test func loopbackDetectionUsesThePeerAddress() {
            #expect(SMTPEndpoint.isLoopback(ipAddress: "127.0.0.1"))
            #expect(SMTPEndpoint.isLoopback(ipAddress: "127.8.9.10"))
            #expect(SMTPEndpoint.isLoopback(ipAddress: "::1"))
            #expect(SMTPEndpoint.isLoopback(ipAddress: "::ffff:127.0.0.1"))
            #expect(!SMTPEndpoint.isLoopback(ipAddress: "10.0.0.1"))
            #expect(!SMTPEndpoint.isLoopback(ipAddress: "::ffff:10.0.0.1"))
            #expect(!SMTPEndpoint.isLoopback(ipAddress: nil))
        }

        @Test func assemblesMultiLineReplies() throws {
            var parser = SMTPReplyParser()
            #expect(try parser.feed("250-mail.example.test greets you") == nil)
            #expect(parser.isMidReply)
            #expect(try parser.feed("250-AUTH PLAIN LOGIN") == nil)
            #expect(try parser.feed("250-AUTH=LOGIN") == nil)
            #expect(try parser.feed("250-STARTTLS") == nil)
            let reply = try #require(try parser.feed("250 SIZE 1000"))
            #expect(reply.code == 250 && reply.lines.count == 5)
            let extensions = reply.ehloExtensions
            #expect(extensions["STARTTLS"] == [])
            #expect(extensions["AUTH"]?.contains("PLAIN") == true && extensions["AUTH"]?.contains("LOGIN") == true)
            #expect(extensions["SIZE"] == ["1000"])
            #expect(try parser.feed("220") == SMTPReply(code: 220, lines: [""]))

            #expect(throws: SMTPError.self) { try parser.feed("hello") }
            var mixed = SMTPReplyParser()
            _ = try mixed.feed("250-first")
            #expect(throws: SMTPError.self) { try mixed.feed("354 second") }
        }

        @Test func dotStuffsAndTerminates() {
            let buffer = DotStuffing.encode(".starts\r\nmiddle.\n..two\r\n.\r\nlast")
            #expect(String(buffer: buffer) == "..starts\r\nmiddle.\r\n...two\r\n..\r\nlast\r\n.\r\n")
            #expect(String(buffer: DotStuffing.encode("line\r\n")) == "line\r\n.\r\n")
        }

        @Test func sanitizesServerText() {
            let reply = SMTPReply(code: 550, lines: ["bad\u{1B}[31m", String(repeating: "x", count: 500)])
            #expect(!reply.sanitizedText.contains("\u{1B}"))
            #expect(reply.sanitizedText.count <= 201)
        }
    }
}

// MARK: - Outbox

extension SMTPMailerTests {
    @Suite struct OutboxMailerTests {
        @Test func writesAParsableEmlAndLogsTheLink() async throws {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: root) }
            let directory = root.appendingPathComponent("nested/outbox")
            let lines = MailTestRecorder<String>()
            let logger = Logger(label: "test.outbox") { _ in MailTestLogHandler(lines: lines) }
            let mailer = try OutboxMailer(directory: directory, from: mailTestSender, logger: logger, logsLinks: true)

            try await mailer.send(mailTestMessage())
            try await mailer.send(mailTestMessage(to: "bob@example.test"))

            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            #expect(names.count == 2)
            #expect(names.allSatisfy { $0.hasSuffix(".eml") && !$0.hasPrefix(".") }, "no temporary files left behind")
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
            let fileAttributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(names[0]).path)
            #expect((fileAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

            let recipients = try names.map { name in
                let raw = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                let mail = try MailTestParsedMail(raw)
                #expect(mail.header("Subject") == "Verify your email")
                #expect(try mail.parts[0].decodedBody().contains(mailTestLink))
                return mail.header("To") ?? ""
            }
            #expect(Set(recipients) == ["alice@example.test", "bob@example.test"])

            let logged = lines.all
            #expect(logged.count == 2)
            #expect(logged.allSatisfy { $0.hasPrefix("info ") && $0.contains(mailTestLink) && $0.contains(directory.path) })
            #expect(logged.contains { $0.contains("alice@example.test") })
        }

        @Test("without logsLinks (every role but `gatehouse dev`) the link never reaches the log")
        func keepsLinksOutOfTheLog() async throws {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: root) }
            let lines = MailTestRecorder<String>()
            let logger = Logger(label: "test.outbox") { _ in MailTestLogHandler(lines: lines) }
            try await OutboxMailer(directory: root, from: mailTestSender, logger: logger).send(mailTestMessage())
            #expect(lines.all.count == 1)
            #expect(!lines.all[0].contains(mailTestLink) && lines.all[0].contains(root.path))
        }

        @Test func findsTheFirstLink() {
            #expect(OutboxMailer.firstLink(in: "Go to http://a.test/x?y=1. Or https://b.test") == "http://a.test/x?y=1")
            #expect(OutboxMailer.firstLink(in: "(see <HTTPS://c.test/p>)") == "HTTPS://c.test/p")
            #expect(OutboxMailer.firstLink(in: "no links here") == nil)
        }

        @Test func refusesABadFromAddress() {
            #expect(throws: MailFormatError.self) {
                try OutboxMailer(directory: "/tmp/unused", from: "nobody", logger: Logger(label: "test"))
            }
        }
    }
}

// MARK: - SMTP client against in-process servers

extension SMTPMailerTests {
    @Suite struct SMTPClientScriptedTests {
        @Test func timesOutWhenTheServerNeverGreets() async throws {
            let server = try await MailTestScriptedServer.start(greeting: nil) { _ in nil }
            defer { server.stop() }
            let mailer = try SMTPMailer(url: "smtp://127.0.0.1:\(server.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .milliseconds(300))
            let started = ContinuousClock.now
            await #expect(throws: SMTPError.timedOut(.greeting)) { try await mailer.send(mailTestMessage()) }
            #expect(ContinuousClock.now - started < .seconds(5))
        }

        @Test func fallsBackToAuthLoginAndDotStuffsOnLoopback() async throws {
            let server = try await MailTestScriptedServer.start { line in
                switch line {
                case let l where l.hasPrefix("EHLO"): "250-scripted.test hi\r\n250-PIPELINING\r\n250 AUTH LOGIN"
                case "AUTH LOGIN": "334 VXNlcm5hbWU6"
                case Data("mailer".utf8).base64EncodedString(): "334 UGFzc3dvcmQ6"
                case Data("s3cret pass".utf8).base64EncodedString(): "235 ok"
                case let l where l.hasPrefix("MAIL FROM:"), let l where l.hasPrefix("RCPT TO:"): "250 ok"
                case "QUIT": "221 bye"
                default: "500 unexpected"
                }
            }
            defer { server.stop() }
            let mailer = try SMTPMailer(url: "smtp://mailer:s3cret%20pass@127.0.0.1:\(server.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(5))
            try await mailer.send(mailTestMessage())

            let commands = server.commands.all
            #expect(commands.contains("MAIL FROM:<no-reply@localhost>"))
            #expect(commands.contains("RCPT TO:<alice@example.test>"))
            #expect(commands.last == "QUIT")
            let wire = try #require(server.messages.all.first)
            #expect(wire.contains("\r\n..\r\n...leading dots survive\r\n"), "leading dots are stuffed on the wire")
            #expect(!wire.contains("\r\n.\r\n"))
        }

        @Test func refusesDataInjectedAfterStartTLS() async throws {
            let server = try await MailTestScriptedServer.start { line in
                switch line {
                case let l where l.hasPrefix("EHLO"): "250-scripted.test\r\n250 STARTTLS"
                // A man in the middle appends a plaintext reply that must not be taken as encrypted.
                case "STARTTLS": "220 go ahead\r\n250 injected"
                default: "500 unexpected"
                }
            }
            defer { server.stop() }
            let mailer = try SMTPMailer(url: "smtp://127.0.0.1:\(server.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(5))
            await #expect(throws: SMTPError.protocolViolation("data after STARTTLS reply")) { try await mailer.send(mailTestMessage()) }
        }

        @Test func wrongPasswordFailsWithoutEchoingIt() async throws {
            let server = try await MailTestScriptedServer.start { line in
                switch line {
                case let l where l.hasPrefix("EHLO"): "250-scripted.test\r\n250 AUTH PLAIN LOGIN"
                // Some servers quote the credential they rejected; it must not reach the error.
                case let l where l.hasPrefix("AUTH PLAIN "): "535 5.7.8 bad credentials \(l)"
                default: "500 unexpected"
                }
            }
            defer { server.stop() }
            let mailer = try SMTPMailer(url: "smtp://mailer:hunter2@127.0.0.1:\(server.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(5))
            let error = try await #require(throws: SMTPError.self) { try await mailer.send(mailTestMessage()) }
            #expect(error == .unexpectedReply(step: .auth, code: 535, text: nil))
            let plain = Data("\0mailer\0hunter2".utf8).base64EncodedString()
            #expect(!"\(error)".contains("hunter2") && !"\(error)".contains(plain))
        }

        @Test func fallsBackToHeloForPreESMTPServers() async throws {
            let server = try await MailTestScriptedServer.start { line in
                switch line {
                case let l where l.hasPrefix("EHLO"): "502 5.5.1 command not implemented"
                case "HELO localhost", "QUIT": "250 ok"
                case let l where l.hasPrefix("MAIL FROM:"), let l where l.hasPrefix("RCPT TO:"): "250 ok"
                default: "500 unexpected"
                }
            }
            defer { server.stop() }
            let mailer = try SMTPMailer(url: "smtp://127.0.0.1:\(server.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(5))
            try await mailer.send(mailTestMessage())
            #expect(server.commands.all.prefix(2) == ["EHLO localhost", "HELO localhost"])
            #expect(server.messages.all.count == 1)
        }

        @Test func refusesToSendWithoutAnAuthMechanism() async throws {
            let server = try await MailTestScriptedServer.start { line in
                line.hasPrefix("EHLO") ? "250-scripted.test\r\n250 8BITMIME" : "500 unexpected"
            }
            defer { server.stop() }
            let mailer = try SMTPMailer(url: "smtp://mailer:pw@127.0.0.1:\(server.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(5))
            await #expect(throws: SMTPError.authenticationUnavailable) { try await mailer.send(mailTestMessage()) }
        }

        @Test func reportsRejectedRecipientsAndClosedConnections() async throws {
            let server = try await MailTestScriptedServer.start { line in
                switch line {
                case let l where l.hasPrefix("EHLO"): "250 scripted.test"
                case let l where l.hasPrefix("MAIL FROM:"): "250 ok"
                case let l where l.hasPrefix("RCPT TO:"): "550 5.1.1 no\u{7} such user"
                default: "500 unexpected"
                }
            }
            defer { server.stop() }
            let mailer = try SMTPMailer(url: "smtp://127.0.0.1:\(server.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(5))
            await #expect(throws: SMTPError.unexpectedReply(step: .rcptTo, code: 550, text: "5.1.1 no such user")) {
                try await mailer.send(mailTestMessage())
            }

            let closing = try await MailTestScriptedServer.start { _ in MailTestScriptedServer.hangUp }
            defer { closing.stop() }
            let closingMailer = try SMTPMailer(url: "smtp://127.0.0.1:\(closing.port)", from: mailTestSender,
                                               eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(5))
            await #expect(throws: SMTPError.connectionClosed(.ehlo)) { try await closingMailer.send(mailTestMessage()) }
        }

        @Test func reportsConnectionFailures() async throws {
            let port = try await MailTestScriptedServer.unusedPort()
            let mailer = try SMTPMailer(url: "smtp://127.0.0.1:\(port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(5))
            let error = try await #require(throws: SMTPError.self) { try await mailer.send(mailTestMessage()) }
            guard case .connectionFailed(let host, let failedPort, _) = error else {
                Issue.record("expected connectionFailed, got \(error)")
                return
            }
            #expect(host == "127.0.0.1" && failedPort == port)
        }
    }
}

// MARK: - SMTP client against the aiosmtpd sink

extension SMTPMailerTests {
    @Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["GATEHOUSE_TEST_SMTP_SINK"] == "1"))
    struct SMTPSinkLiveTests {
        @Test func deliversInPlaintext() async throws {
            let sink = try MailTestSMTPSink(arguments: [])
            defer { sink.stop() }
            let mailer = try SMTPMailer(url: "smtp://127.0.0.1:\(sink.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(10))
            try await mailer.send(mailTestMessage())
            let received = try sink.onlyMessage()
            #expect(received.envelope.rcptTos == ["alice@example.test"])
            #expect(received.envelope.mailFrom == "no-reply@localhost")
            #expect(!received.envelope.tls)
            try expectDelivered(received.raw)
        }

        @Test func deliversOverStartTLSWithAuthPlain() async throws {
            let tls = try MailTestCertificate()
            let sink = try MailTestSMTPSink(arguments: tls.sinkArguments + ["--auth", "mailer@example.test:p@ss:w%rd"])
            defer { sink.stop() }
            let mailer = try SMTPMailer(url: "smtp://mailer%40example.test:p%40ss%3Aw%25rd@127.0.0.1:\(sink.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                                        tlsConfiguration: tls.clientConfiguration, timeout: .seconds(10))
            try await mailer.send(mailTestMessage(subject: "Réinitialiser le mot de passe"))
            let received = try sink.onlyMessage()
            #expect(received.envelope.tls)
            #expect(received.envelope.authUser == "mailer@example.test")
            try expectDelivered(received.raw, subject: "Réinitialiser le mot de passe")
        }

        @Test func deliversOverImplicitTLSWithAuthLogin() async throws {
            let tls = try MailTestCertificate()
            let sink = try MailTestSMTPSink(arguments: tls.sinkArguments + ["--implicit-tls", "--auth", "mailer:pw", "--auth-mechanisms", "LOGIN"])
            defer { sink.stop() }
            let mailer = try SMTPMailer(url: "smtps://mailer:pw@127.0.0.1:\(sink.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                                        tlsConfiguration: tls.clientConfiguration, timeout: .seconds(10))
            try await mailer.send(mailTestMessage())
            let received = try sink.onlyMessage()
            #expect(received.envelope.tls)
            #expect(received.envelope.authUser == "mailer")
            try expectDelivered(received.raw)
        }

        @Test func authenticatesInPlaintextOnLoopbackOnly() async throws {
            let sink = try MailTestSMTPSink(arguments: ["--auth", "mailer:pw"])
            defer { sink.stop() }
            let mailer = try SMTPMailer(url: "smtp://mailer:pw@127.0.0.1:\(sink.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(10))
            try await mailer.send(mailTestMessage())
            #expect(try sink.onlyMessage().envelope.authUser == "mailer")
        }

        @Test func rejectsWrongPassword() async throws {
            let tls = try MailTestCertificate()
            let sink = try MailTestSMTPSink(arguments: tls.sinkArguments + ["--auth", "mailer:right"])
            defer { sink.stop() }
            let mailer = try SMTPMailer(url: "smtp://mailer:wrong@127.0.0.1:\(sink.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                                        tlsConfiguration: tls.clientConfiguration, timeout: .seconds(10))
            await #expect(throws: SMTPError.unexpectedReply(step: .auth, code: 535, text: nil)) { try await mailer.send(mailTestMessage()) }
            #expect(try sink.messageFiles().isEmpty)
        }

        @Test func refusesAnUntrustedCertificate() async throws {
            let tls = try MailTestCertificate()
            let sink = try MailTestSMTPSink(arguments: tls.sinkArguments)
            defer { sink.stop() }
            // Default configuration: system trust roots, which do not include the test certificate.
            let mailer = try SMTPMailer(url: "smtp://127.0.0.1:\(sink.port)", from: mailTestSender,
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(10))
            let error = try await #require(throws: SMTPError.self) { try await mailer.send(mailTestMessage()) }
            guard case .tlsFailed = error else {
                Issue.record("expected tlsFailed, got \(error)")
                return
            }
            #expect(try sink.messageFiles().isEmpty)
        }

        private func expectDelivered(_ raw: String, subject: String = "Verify your email") throws {
            let mail = try MailTestParsedMail(raw)
            #expect(try mailTestDecodeEncodedWords(mail.header("Subject") ?? "") == subject)
            #expect(try mail.parts[0].decodedBody().contains(mailTestLink))
            #expect(try mail.parts[0].decodedBody().contains("\r\n.\r\n..leading dots survive\r\n"))
            #expect(try mail.parts[1].decodedBody().contains(mailTestLink))
        }
    }
}

// MARK: - Helpers: parsing what was sent

/// Minimal reader for the messages `MIMEDocument` produces: headers, and parts when multipart.
private struct MailTestParsedMail {
    struct Part {
        var headers: [(String, String)]
        var body: String
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        func decodedBody() throws -> String {
            guard header("Content-Transfer-Encoding") == "quoted-printable" else { return body }
            return String(decoding: try #require(QuotedPrintable.decode(body)), as: UTF8.self)
        }
    }

    var headers: [(String, String)]
    var parts: [Part]
    func header(_ name: String) -> String? { Part(headers: headers, body: "").header(name) }

    init(_ raw: String) throws {
        let split = try #require(raw.range(of: "\r\n\r\n"))
        headers = Self.parseHeaders(String(raw[..<split.lowerBound]))
        let body = String(raw[split.upperBound...])
        parts = []
        let contentType = Part(headers: headers, body: "").header("Content-Type") ?? ""
        guard let boundaryStart = contentType.range(of: "boundary=\"") else { return }
        let boundary = String(contentType[boundaryStart.upperBound...].prefix { $0 != "\"" })
        let sections = body.components(separatedBy: "\r\n--\(boundary)")
        // The preamble ends at the first delimiter; everything after the closing `--` is epilogue.
        let first = try #require(body.range(of: "--\(boundary)\r\n"))
        for section in body[first.upperBound...].components(separatedBy: "\r\n--\(boundary)") where !section.hasPrefix("--") {
            // Each delimiter's CRLF ends the previous line; the one after it starts this part.
            let text = section.range(of: "\r\n").map { $0.lowerBound == section.startIndex ? String(section[$0.upperBound...]) : section } ?? section
            let partSplit = try #require(text.range(of: "\r\n\r\n"))
            parts.append(Part(headers: Self.parseHeaders(String(text[..<partSplit.lowerBound])),
                              body: String(text[partSplit.upperBound...])))
        }
        #expect(sections.last?.hasPrefix("--") == true, "closing delimiter present")
    }

    /// Unfolds (drops CRLF before whitespace) and splits `Name: value` lines.
    private static func parseHeaders(_ block: String) -> [(String, String)] {
        block.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\r\n\t", with: "\t")
            .components(separatedBy: "\r\n").compactMap { line in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
    }
}

/// Decodes an unfolded header made of `=?UTF-8?B?…?=` words (or plain text, returned as is).
private func mailTestDecodeEncodedWords(_ value: String) throws -> String {
    guard value.hasPrefix("=?") else { return value }
    var bytes: [UInt8] = []
    for word in value.split(separator: " ") {
        #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?=") && word.count <= 75)
        let payload = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
        bytes += try #require(Data(base64Encoded: String(payload)))
    }
    return String(decoding: bytes, as: UTF8.self)
}

// MARK: - Helpers: recording

/// Collects values from event-loop and logging threads for assertions.
private final class MailTestRecorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}

/// Records `"<level> <message>"` lines.
private struct MailTestLogHandler: LogHandler {
    let lines: MailTestRecorder<String>
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.append("\(event.level) \(event.message)")
    }
}

// MARK: - Helpers: in-process scripted SMTP server

/// A one-connection-at-a-time SMTP server on 127.0.0.1 whose replies come from `script`.
/// DATA is handled here: the raw dot-stuffed lines are recorded and answered with 250.
private struct MailTestScriptedServer: Sendable {
    /// Reply that makes the server close the connection instead of answering.
    static let hangUp = "<hang up>"

    let channel: any Channel
    let commands: MailTestRecorder<String>
    let messages: MailTestRecorder<String>
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(
        greeting: String? = "220 scripted.test ESMTP",
        script: @escaping @Sendable (String) -> String?
    ) async throws -> MailTestScriptedServer {
        let commands = MailTestRecorder<String>()
        let messages = MailTestRecorder<String>()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(
                        Handler(greeting: greeting, script: script, commands: commands, messages: messages))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return MailTestScriptedServer(channel: channel, commands: commands, messages: messages)
    }

    /// A port that was free a moment ago, for connection-refused tests.
    static func unusedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    func stop() { channel.close(promise: nil) }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let greeting: String?
        let script: @Sendable (String) -> String?
        let commands: MailTestRecorder<String>
        let messages: MailTestRecorder<String>
        var buffer = ByteBuffer()
        var message: String?

        init(greeting: String?, script: @escaping @Sendable (String) -> String?, commands: MailTestRecorder<String>, messages: MailTestRecorder<String>) {
            (self.greeting, self.script, self.commands, self.messages) = (greeting, script, commands, messages)
        }

        func channelActive(context: ChannelHandlerContext) {
            if let greeting { reply(greeting, context: context) }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            buffer.writeBuffer(&incoming)
            while let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let bytes = buffer.readBytes(length: end - buffer.readableBytesView.startIndex + 1) ?? []
                let line = bytes.dropLast().last == UInt8(ascii: "\r") ? bytes.dropLast(2) : bytes.dropLast()
                handle(String(decoding: line, as: UTF8.self), context: context)
            }
        }

        private func handle(_ line: String, context: ChannelHandlerContext) {
            if var current = message {
                if line == "." {
                    messages.append(current)
                    message = nil
                    reply("250 queued", context: context)
                } else {
                    current += line + "\r\n"
                    message = current
                }
                return
            }
            commands.append(line)
            if line == "DATA" {
                message = "\r\n"  // Leading CRLF lets tests match whole lines, including the first.
                reply("354 go ahead", context: context)
            } else if let answer = script(line) {
                if answer == MailTestScriptedServer.hangUp {
                    context.close(promise: nil)
                } else {
                    reply(answer, context: context)
                }
            }
        }

        private func reply(_ text: String, context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text + "\r\n")), promise: nil)
        }
    }
}

// MARK: - Helpers: the aiosmtpd sink process

/// The package root, found from this file's location (Tests/GatehouseMailTests/<file>).
private let mailTestPackageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Runs scripts/smtp_sink.py on an OS-chosen port with its own mail directory.
private final class MailTestSMTPSink {
    struct Envelope: Decodable {
        var mailFrom: String
        var rcptTos: [String]
        var tls: Bool
        var authUser: String?
        enum CodingKeys: String, CodingKey {
            case mailFrom = "mail_from", rcptTos = "rcpt_tos", tls, authUser = "auth_user"
        }
    }

    let process = Process()
    let maildir: URL
    private(set) var port = 0

    init(arguments: [String]) throws {
        maildir = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-sink-\(UUID().uuidString)")
        let script = mailTestPackageRoot.appendingPathComponent("scripts/smtp_sink.py").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--port", "0", "--maildir", maildir.path] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        // A file, not a pipe: nobody drains stderr while tests run, and a full pipe would block
        // the sink. Kept beside the mail directory so a startup failure can quote it.
        let logURL = maildir.appendingPathExtension("log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logURL)
        defer { try? FileManager.default.removeItem(at: logURL) }
        try process.run()
        // Blocking reads are fine here: the sink prints two short lines within a second or exits.
        var output = ""
        while !output.contains("READY\n") {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            output += String(decoding: chunk, as: UTF8.self)
        }
        guard output.contains("READY\n"),
              let portLine = output.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }),
              let port = Int(portLine.dropFirst("PORT ".count))
        else {
            stop()
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            throw SinkError(message: "smtp_sink.py did not start (is aiosmtpd installed?): \(output)\(log)")
        }
        self.port = port
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            // Never hang the suite on a sink that ignores SIGTERM.
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: maildir)
    }

    func messageFiles() throws -> [URL] {
        guard FileManager.default.fileExists(atPath: maildir.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: maildir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "eml" }
    }

    /// The single received message; the sink writes it before answering 250, so it is there.
    func onlyMessage() throws -> (raw: String, envelope: Envelope) {
        let files = try messageFiles()
        try #require(files.count == 1)
        let raw = try String(contentsOf: files[0], encoding: .utf8)
        let sidecar = try Data(contentsOf: files[0].deletingPathExtension().appendingPathExtension("json"))
        return (raw, try JSONDecoder().decode(Envelope.self, from: sidecar))
    }

    struct SinkError: Error, CustomStringConvertible { var message: String; var description: String { message } }
}

/// A throwaway self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI.
private struct MailTestCertificate {
    let certificatePath: String
    let keyPath: String

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificatePath = directory.appendingPathComponent("cert.pem").path
        keyPath = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                             "-nodes", "-keyout", keyPath, "-out", certificatePath, "-days", "2", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0)
    }

    var sinkArguments: [String] { ["--tls-cert", certificatePath, "--tls-key", keyPath] }

    /// Trusts only this certificate, with full verification (its SAN covers 127.0.0.1).
    var clientConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(certificatePath)
        return configuration
    }
}

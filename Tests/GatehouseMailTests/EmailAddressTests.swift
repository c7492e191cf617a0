import Foundation
import Testing
@testable import GatehouseMail

@Suite("One address type for accounts and mail")
struct EmailAddressTests {
    static let accepted = [
        "ann@example.com", " Ann.Lee@Example.COM ", "o'neil+tag@mail.example.co.uk", "a_b-c@x-y.example", "no-reply@localhost",
        String(repeating: "a", count: 64) + "@example.com",
    ]
    static let refused = [
        "ann@bücher.de", "jörg@example.com", "ann@exa mple.com", "a(b)@example.com", "a:b@example.com", "a\"b@example.com",
        "ann@", "@example.com", "ann.@example.com", "a..b@example.com", "ann@-example.com", "ann@example..com",
        "ann@example.com\r\nBcc: x@y.z", String(repeating: "a", count: 65) + "@example.com",
    ]

    @Test("every accepted address can be put in a mail's envelope and headers", arguments: accepted)
    func acceptedAddressesAreDeliverable(raw: String) throws {
        let address = try #require(EmailAddress(raw))
        #expect(address.value == raw.trimmingCharacters(in: .whitespaces).lowercased())
        let document = try MIMEDocument(
            message: MailMessage(to: address.value, subject: "Hello", textBody: "Hi", htmlBody: "<p>Hi</p>"),
            from: "Gatehouse <no-reply@localhost>")
        #expect(document.recipient.address == address.value)
    }

    @Test("addresses mail could not carry are refused", arguments: refused)
    func undeliverableAddressesAreRefused(raw: String) {
        #expect(EmailAddress(raw) == nil)
    }
}

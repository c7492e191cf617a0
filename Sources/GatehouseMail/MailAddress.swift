import Foundation

/// Why a message could not be turned into a mail: a header would be malformed or forged.
///
/// Only the field name is carried, never the offending value, so the error is safe to log.
public enum MailFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The value of `field` contains CR, LF or NUL, which would let it inject extra headers.
    case headerInjection(field: String)
    /// The value of `field` is not a usable `addr@domain` or `Name <addr@domain>` address.
    case invalidAddress(field: String)

    public var description: String {
        switch self {
        case .headerInjection(let field): "mail header \(field) contains a line break or NUL"
        case .invalidAddress(let field): "mail header \(field) is not a valid address"
        }
    }
}

/// An address as written in `From`/`To`: `alice@example.com` or `Gatehouse <no-reply@example.com>`.
///
/// The address must be deliverable as ``EmailAddress`` defines it (plain ASCII `local@domain`, no
/// quoted local parts, comments, groups or SMTPUTF8): that is all an auth server sends to, and a
/// strict grammar leaves no room for SMTP command or header injection through the envelope.
public struct MailAddress: Sendable, Equatable {
    /// The display name, unquoted, if one was given.
    public let displayName: String?
    /// The bare `local@domain` address, as used for `MAIL FROM` / `RCPT TO`.
    public let address: String

    /// The part after the `@`.
    public var domain: String { String(address[address.index(after: address.lastIndex(of: "@")!)...]) }

    /// Parses `value`; `field` names the header in errors.
    public init(parsing value: String, field: String = "address") throws {
        guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
            throw MailFormatError.headerInjection(field: field)
        }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        var name: String?
        var addr = trimmed
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            addr = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            let rawName = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            name = rawName.isEmpty ? nil : Self.unquote(rawName)
        }
        guard EmailAddress.isDeliverable(addr) else { throw MailFormatError.invalidAddress(field: field) }
        self.displayName = name
        self.address = addr
    }

    /// The bare address inside `value` (`Name <addr>` or `addr`), for the SMTP envelope.
    public static func envelopeAddress(of value: String) throws -> String {
        try MailAddress(parsing: value).address
    }

    /// The header rendering: the display name quoted or RFC 2047 encoded as needed.
    var headerValue: String {
        guard let displayName, !displayName.isEmpty else { return address }
        return "\(MIMEHeader.phrase(displayName)) <\(address)>"
    }

    // MARK: - Grammar

    private static func unquote(_ name: String) -> String {
        guard name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") else { return name }
        var result = ""
        var escaping = false
        for character in name.dropFirst().dropLast() {
            if escaping {
                result.append(character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}

import Foundation
import GatehouseGuard

/// NIST SP 800-63B / OWASP ASVS 5.0 password rules: 8 to 256 characters, no composition rules,
/// never truncated, and not one of the most common passwords.
struct PasswordPolicy: Sendable {
    static let minimumLength = 8
    static let maximumLength = 256

    let commonPasswords: CommonPasswords

    /// The broken rule for `password` in `field`, or nil when it is acceptable.
    func problem(with password: String, field: String) -> FieldProblem? {
        let length = password.count
        if length < Self.minimumLength {
            return FieldProblem(field: field, code: "too_short", message: "Use at least \(Self.minimumLength) characters.")
        }
        if length > Self.maximumLength {
            return FieldProblem(field: field, code: "too_long", message: "Use at most \(Self.maximumLength) characters.")
        }
        if commonPasswords.contains(password) {
            return FieldProblem(field: field, code: "too_common", message: "This password is too common; choose another.")
        }
        return nil
    }
}

/// The shipped list of the most common passwords (lower-case, one per line).
struct CommonPasswords: Sendable {
    private let entries: Set<String>

    init(entries: Set<String>) {
        self.entries = entries
    }

    /// Loads the bundled list; fails loudly rather than silently accepting every password.
    static func bundled() throws -> CommonPasswords {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        return CommonPasswords(entries: Set(text.split(whereSeparator: \.isNewline).map { $0.lowercased() }))
    }

    var count: Int { entries.count }

    func contains(_ password: String) -> Bool {
        entries.contains(password.lowercased())
    }
}

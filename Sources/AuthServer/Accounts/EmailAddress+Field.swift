import GatehouseGuard
import GatehouseMail

extension EmailAddress {
    /// The address in a required field where a person gives their own address (register, login,
    /// resend, forgot), or the field's `validation_failed` problem. Beyond being deliverable, a
    /// person's address needs a domain with a dot: `someone@localhost` is nobody's mailbox.
    static func field(_ raw: String?, named field: String = "email") throws -> EmailAddress {
        guard let raw, !raw.isEmpty else {
            throw AuthError.validation([.init(field: field, code: "required", message: "Enter your email address.")])
        }
        if let problem = problem(with: raw, field: field) { throw AuthError.validation([problem]) }
        return EmailAddress(raw)!
    }

    /// What is wrong with a non-empty `raw` as a person's address, or nil when nothing is.
    static func problem(with raw: String, field: String = "email") -> FieldProblem? {
        if !raw.precomposedStringWithCompatibilityMapping.unicodeScalars.allSatisfy(\.isASCII) {
            return FieldProblem(
                field: field, code: "invalid_format",
                message: "Addresses with letters outside A–Z (such as ü) cannot receive our mail yet; use another address.")
        }
        guard let email = EmailAddress(raw), email.domain.contains(".") else {
            return FieldProblem(field: field, code: "invalid_format", message: "Enter a valid email address.")
        }
        return nil
    }

    /// The address a person typed at login, if it could be one; nil is answered like an unknown one.
    static func lenient(_ raw: String) -> EmailAddress? {
        problem(with: raw) == nil ? EmailAddress(raw) : nil
    }
}

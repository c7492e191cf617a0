import GatehouseGuard

/// How an administrative request fails on purpose, with its stable `code`.
enum AdminError: ProblemConvertible, Equatable {
    case notFound
    /// An administrator may not disable their own account or take away their own `admin` role:
    /// that would leave them (and perhaps everyone) locked out of administration.
    case selfLockout
    case invalidCursor
    case validation(field: String, String)

    var problem: Problem {
        switch self {
        case .notFound:
            return Problem(.notFound, code: "not_found", title: "Not found", detail: "No such account.")
        case .selfLockout:
            return Problem(
                .conflict, code: "self_lockout", title: "Would lock you out",
                detail: "You cannot disable your own account or remove your own admin role; ask another administrator.")
        case .invalidCursor:
            return .validationFailed([FieldProblem(field: "cursor", code: "invalid", message: "This cursor is not one this server gave out.")])
        case .validation(let field, let message):
            return .validationFailed([FieldProblem(field: field, code: "invalid", message: message)])
        }
    }
}

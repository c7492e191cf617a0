import GatehouseCore
import GatehouseGuard
import Vapor

/// Every way an Auth Server request can fail on purpose, each with its stable `code`.
/// Wording never tells whether an email address has an account.
enum AuthError: ProblemConvertible, Equatable {
    case invalidCredentials
    case wrongCurrentPassword
    case emailNotVerified
    /// An administrator has disabled the account; only said after a correct password or passkey.
    case accountDisabled
    case sessionExpired(clearing: [CookieSpec])
    case invalidToken
    case sessionNotFound
    case validation([FieldProblem])
    case rateLimited(retryAfter: Int)

    var problem: Problem {
        switch self {
        case .invalidCredentials:
            return Problem(.unauthorized, code: "invalid_credentials", title: "Invalid credentials", detail: "The email address or password is incorrect.")
        case .wrongCurrentPassword:
            return Problem(.badRequest, code: "invalid_credentials", title: "Invalid credentials", detail: "The current password is incorrect.")
        case .emailNotVerified:
            return Problem(.forbidden, code: "email_not_verified", title: "Email not verified", detail: "Confirm your email address before logging in; you can ask for a new link.")
        case .accountDisabled:
            return Problem(.forbidden, code: "account_disabled", title: "Account disabled", detail: "This account has been disabled; contact the administrator.")
        case .sessionExpired(let cookies):
            return Problem(.unauthorized, code: "session_expired", title: "Session expired", detail: "The session has ended; log in again.", cookies: cookies)
        case .invalidToken:
            return Problem(.badRequest, code: "invalid_token", title: "Invalid or expired link", detail: "This link is invalid, expired or already used; ask for a new one.")
        case .sessionNotFound:
            return Problem(.notFound, code: "not_found", title: "Not found", detail: "No such session.")
        case .validation(let errors):
            return .validationFailed(errors)
        case .rateLimited(let seconds):
            return .rateLimited(retryAfter: seconds)
        }
    }
}

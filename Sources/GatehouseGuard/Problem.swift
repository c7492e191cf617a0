import GatehouseCore
import Vapor

/// One field that broke a rule, as listed in a `validation_failed` problem.
public struct FieldProblem: Content, Equatable, Sendable {
    public var field: String
    public var code: String
    public var message: String

    public init(field: String, code: String, message: String) {
        self.field = field
        self.code = code
        self.message = message
    }
}

/// An error answered as `application/problem+json` (RFC 9457) with a stable machine-readable `code`.
///
/// ```swift
/// throw Problem(.notFound, code: "not_found", title: "Not found", detail: "No such project.")
/// ```
public struct Problem: AbortError, Sendable {
    public var status: HTTPResponseStatus
    public var code: String
    public var title: String
    public var detail: String
    public var errors: [FieldProblem]?
    public var headers: HTTPHeaders
    /// Cookies set or cleared with the error (a refused refresh clears both token cookies).
    public var cookies: [CookieSpec]

    public init(
        _ status: HTTPResponseStatus, code: String, title: String, detail: String,
        errors: [FieldProblem]? = nil, headers: HTTPHeaders = [:], cookies: [CookieSpec] = []
    ) {
        self.cookies = cookies
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    public var reason: String { detail }

    /// The `type` URI: a stable, dereferenceable-looking name per code.
    public var type: String { "https://gatehouse.dev/problems/\(code.replacingOccurrences(of: "_", with: "-"))" }
}

/// A domain error that knows its problem+json form; ``ProblemMiddleware`` answers with it.
public protocol ProblemConvertible: Error {
    var problem: Problem { get }
}

extension Problem {
    /// `401` + `WWW-Authenticate: Refresh`: the only answer that tells a client to refresh.
    public static let tokenExpired = Problem(
        .unauthorized, code: "token_expired", title: "Access token expired",
        detail: "The access token has expired; refresh it and retry.",
        headers: ["WWW-Authenticate": "Refresh"])

    public static let unauthenticated = Problem(
        .unauthorized, code: "unauthenticated", title: "Authentication required",
        detail: "A valid access token is required.",
        headers: ["WWW-Authenticate": #"Bearer realm="gatehouse""#])

    public static let csrfInvalid = Problem(
        .forbidden, code: "csrf_invalid", title: "CSRF check failed",
        detail: "The X-CSRF-TOKEN header is missing, invalid, expired, already used or bound to another session.")

    public static func badRequest(_ detail: String = "The request body is not valid JSON of the expected shape.") -> Problem {
        Problem(.badRequest, code: "bad_request", title: "Bad request", detail: detail)
    }

    public static func validationFailed(_ errors: [FieldProblem]) -> Problem {
        Problem(
            .badRequest, code: "validation_failed", title: "Validation failed",
            detail: "One or more fields are invalid.", errors: errors)
    }

    public static func rateLimited(retryAfter seconds: Int) -> Problem {
        Problem(
            .tooManyRequests, code: "rate_limited", title: "Too many attempts",
            detail: "Too many attempts; try again later.", headers: ["Retry-After": String(max(1, seconds))])
    }

    public static let notFound = Problem(.notFound, code: "not_found", title: "Not found", detail: "No such resource.")

    /// Signed in, but without the role the route needs.
    public static let forbidden = Problem(
        .forbidden, code: "forbidden", title: "Forbidden", detail: "Your account does not have the role this needs.")
}

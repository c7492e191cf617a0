import NIOHTTP1
import Vapor

/// Turns every error into `application/problem+json`; replaces Vapor's `ErrorMiddleware`.
///
/// Unknown routes answer `404`, a known path with another method `405` with `Allow`, undecodable
/// bodies `400 bad_request`, oversized bodies `413`. Anything unexpected is logged and answered
/// as a bare `500`: no stack trace, no internal message ever reaches the client.
public struct ProblemMiddleware: Middleware {
    private let methods: RouteMethodIndex

    public init(routes: Routes) {
        methods = RouteMethodIndex(routes: routes)
    }

    // Future-based: it wraps every request, and an async middleware would cost a task each time.
    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapErrorThrowing { error in
            Self.response(for: problem(for: error, request: request), request: request)
        }
    }

    func problem(for error: any Error, request: Request) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let convertible as any ProblemConvertible:
            return convertible.problem
        case is DecodingError:
            return .badRequest()
        case is HTTPParserError:
            // A body cut off or mangled on the wire (a client going away, a bad chunk): the
            // client's fault, answered as such (usually to a closed connection) and not counted
            // or logged as a server error.
            request.logger.debug("malformed HTTP body", metadata: ["error": "\(error)"])
            return .badRequest()
        case let abort as any AbortError:
            return problem(for: abort, request: request)
        default:
            request.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return Problem(
                .internalServerError, code: "internal_error", title: "Internal error",
                detail: "Something went wrong on our side.")
        }
    }

    private func problem(for abort: any AbortError, request: Request) -> Problem {
        switch abort.status {
        case .notFound:
            let allowed = methods.allowedMethods(for: request.url.path)
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { return .notFound }
            return Problem(
                .methodNotAllowed, code: "method_not_allowed", title: "Method not allowed",
                detail: "\(request.method.rawValue) is not allowed here.",
                headers: ["Allow": allowed.sorted().joined(separator: ", ")])
        case .payloadTooLarge:
            return Problem(.payloadTooLarge, code: "payload_too_large", title: "Payload too large", detail: "The request body is too large.")
        case .unsupportedMediaType:
            return Problem(.unsupportedMediaType, code: "unsupported_media_type", title: "Unsupported media type", detail: "Send application/json.")
        case .badRequest, .unprocessableEntity:
            return .badRequest()
        case .unauthorized:
            return .unauthenticated
        default:
            // Vapor's own errors carry internal wording; keep only the status.
            return Problem(abort.status, code: "http_\(abort.status.code)", title: abort.status.reasonPhrase, detail: abort.status.reasonPhrase)
        }
    }

    /// The problem+json response for `problem`.
    public static func response(for problem: Problem, request: Request) -> Response {
        struct Body: Encodable {
            var type: String
            var title: String
            var status: UInt
            var detail: String
            var code: String
            var errors: [FieldProblem]?
        }
        let body = Body(
            type: problem.type, title: problem.title, status: problem.status.code, detail: problem.detail,
            code: problem.code, errors: problem.errors)
        var headers = problem.headers
        headers.replaceOrAdd(name: .contentType, value: "application/problem+json")
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data()
        let response = Response(status: problem.status, headers: headers, body: .init(data: data))
        problem.cookies.forEach(response.setCookie)
        return response
    }
}

/// Which methods each registered path answers, so an unknown method can get `405` instead of `404`.
struct RouteMethodIndex: Sendable {
    private let routes: [(method: HTTPMethod, path: [PathComponent])]

    init(routes: Routes) {
        self.routes = routes.all.map { ($0.method, $0.path) }
    }

    func allowedMethods(for path: String) -> Set<String> {
        let parts = path.split(separator: "/").map(String.init)
        var result = Set<String>()
        for route in routes where Self.matches(route.path, parts) {
            result.insert(route.method.rawValue)
        }
        return result
    }

    private static func matches(_ pattern: [PathComponent], _ parts: [String]) -> Bool {
        var index = 0
        for component in pattern {
            switch component {
            case .catchall: return index < parts.count
            case .anything, .parameter:
                guard index < parts.count else { return false }
            case .constant(let value):
                guard index < parts.count, parts[index] == value else { return false }
            }
            index += 1
        }
        return index == parts.count
    }
}

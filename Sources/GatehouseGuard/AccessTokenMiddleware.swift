import GatehouseCore
import Vapor

/// Turns the `access_token` cookie into a ``Principal``, or answers as the contract says:
/// `401` + `WWW-Authenticate: Refresh` (`token_expired`) for a genuine but expired token, and a plain
/// `401` (`unauthenticated`) for anything else. The one place a route's caller is decided.
///
/// ```swift
/// let protected = app.grouped(AccessTokenMiddleware(verifier: verifier))
/// protected.get("api", "me") { req in try req.principal.email }
/// ```
public struct AccessTokenMiddleware: Middleware {
    public let verifier: TokenVerifier
    public let cache: VerifiedTokenCache?

    /// - Parameter cache: remembers verified tokens until their `exp`; nil verifies every request.
    public init(verifier: TokenVerifier, cache: VerifiedTokenCache? = nil) {
        self.verifier = verifier
        self.cache = cache
    }

    // A future-based middleware on purpose: a cached token is accepted without spawning a task
    // (an `AsyncMiddleware` costs one per request), which is most of the price of authentication.
    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard let token = request.cookie(named: CookiePolicy.accessTokenName), !token.isEmpty else {
            return request.eventLoop.makeFailedFuture(Problem.unauthenticated)
        }
        if let principal = cache?.principal(for: token) {
            request.authenticate(principal)
            return next.respond(to: request)
        }
        let verified = request.eventLoop.makePromise(of: Void.self)
        verified.completeWithTask { try await authenticate(request, token: token) }
        return verified.futureResult.flatMap { next.respond(to: request) }
    }

    private func authenticate(_ request: Request, token: String) async throws {
        do {
            let claims = try await verifier.verify(token, as: AccessTokenClaims.self)
            cache?.remember(token, claims: claims)
            request.authenticate(Principal(claims))
        } catch .expired {
            throw Problem.tokenExpired
        } catch {
            throw Problem.unauthenticated
        }
    }
}

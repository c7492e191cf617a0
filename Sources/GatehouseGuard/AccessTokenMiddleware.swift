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
public struct AccessTokenMiddleware: AsyncMiddleware {
    public let verifier: TokenVerifier
    public let cache: VerifiedTokenCache?

    /// - Parameter cache: remembers verified tokens until their `exp`; nil verifies every request.
    public init(verifier: TokenVerifier, cache: VerifiedTokenCache? = nil) {
        self.verifier = verifier
        self.cache = cache
    }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let token = request.cookies[CookiePolicy.accessTokenName]?.string, !token.isEmpty else {
            throw Problem.unauthenticated
        }
        if let claims = cache?.claims(for: token) {
            request.authenticate(Principal(claims))
            return try await next.respond(to: request)
        }
        do {
            let claims = try await verifier.verify(token, as: AccessTokenClaims.self)
            cache?.remember(token, claims: claims)
            request.authenticate(Principal(claims))
        } catch .expired {
            throw Problem.tokenExpired
        } catch {
            throw Problem.unauthenticated
        }
        return try await next.respond(to: request)
    }
}

import GatehouseCore
import GatehouseGuard
import Vapor

/// A refresh token the caller presented that verified: the token as sent and its claims.
struct PresentedRefreshToken: Sendable {
    let token: String
    let claims: RefreshTokenClaims
}

/// Verifies the `refresh_token` cookie at most once per request and keeps the answer on the request:
/// the refresh guard, the CSRF binding and the handler all read that one verification.
struct RefreshTokenAuthenticator: Sendable {
    let verifier: TokenVerifier

    private struct Memo: StorageKey {
        typealias Value = PresentedRefreshToken?
    }

    /// The caller's genuine, unexpired refresh token, or nil (absent, malformed, forged, expired).
    func presented(in request: Request) async -> PresentedRefreshToken? {
        if let memo = request.storage[Memo.self] { return memo }
        var presented: PresentedRefreshToken?
        if let token = request.cookie(named: CookiePolicy.refreshTokenName),
            let claims = try? await verifier.verify(token, as: RefreshTokenClaims.self)
        {
            presented = PresentedRefreshToken(token: token, claims: claims)
        }
        request.storage[Memo.self] = .some(presented)
        return presented
    }

    /// Answers a request without a genuine refresh token with `401 session_expired` (clearing the
    /// cookies) before the CSRF check: once a session is over its CSRF token is too, and the client
    /// must hear "log in again", not "CSRF failed". Clearing cookies that are already useless is no
    /// CSRF risk.
    func required(clearing cookies: CookiePolicy, metrics: AuthMetrics) -> some AsyncMiddleware {
        Required(authenticator: self, cleared: cookies.cleared(), metrics: metrics)
    }

    private struct Required: AsyncMiddleware {
        let authenticator: RefreshTokenAuthenticator
        let cleared: [CookieSpec]
        let metrics: AuthMetrics

        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            guard await authenticator.presented(in: request) != nil else {
                metrics.refresh(.refused)
                throw AuthError.sessionExpired(clearing: cleared)
            }
            return try await next.respond(to: request)
        }
    }
}

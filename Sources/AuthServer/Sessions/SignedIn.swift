import GatehouseCore
import GatehouseGuard
import Vapor

/// What an Auth Server route needs to know its caller: a verified access token (``AccessTokenMiddleware``)
/// whose session is still live. The Auth Server can afford the session check, so a logged-out or
/// revoked session cannot keep managing the account until its access token expires.
struct SignedIn: Sendable {
    let verifier: TokenVerifier
    let sessions: SessionStore

    func guarding(_ routes: any RoutesBuilder) -> any RoutesBuilder {
        routes.grouped(AccessTokenMiddleware(verifier: verifier), LiveSession(sessions: sessions))
    }

    private struct LiveSession: AsyncMiddleware {
        let sessions: SessionStore

        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            guard try await sessions.isLive(try request.principal.sessionID, on: request.db) else { throw Problem.unauthenticated }
            return try await next.respond(to: request)
        }
    }
}

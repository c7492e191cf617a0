import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// The answer to a completed sign-in (a password, or a password and a second factor): the session
/// starts (ending the one the browser already had), the event is recorded, both token cookies and
/// the known-device cookie are set. One place, so every way in ends the same way.
struct SignInCompletion: Sendable {
    let sessions: SessionStore
    let refreshTokens: RefreshTokenAuthenticator
    let devices: KnownDevices
    let throttle: LoginThrottle
    let cookies: CookiePolicy

    struct SessionResponse: Content {
        var user: UserDTO
        var csrfToken: String
        var accessTokenExpiresAt: String
    }

    func complete(_ account: Account, attempt: LoginThrottle.Attempt, now: Date, for req: Request) async throws -> Response {
        try await throttle.succeeded(attempt, on: req.db.sql)
        let earlier = await refreshTokens.presented(in: req)?.claims.sid
        let issued = try await sessions.start(for: account, client: attempt.client, ending: earlier, on: req.db)
        try await SecurityEvents.record(.login, user: account.id.uuid, session: issued.sessionID.uuid, client: attempt.client, now: now, on: req.db)
        let response = try jsonResponse(SessionResponse(
            user: UserDTO(account), csrfToken: issued.csrfToken, accessTokenExpiresAt: iso8601(issued.access.expiresAt)))
        response.setTokenCookies(issued, policy: cookies, now: now)
        response.setCookie(try devices.cookie(for: attempt.account, policy: cookies, now: now))
        return response
    }
}

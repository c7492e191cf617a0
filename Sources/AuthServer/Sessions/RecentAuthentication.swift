import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// "Needs recent authentication" (CONTRACT "Second factors and recent authentication"): a change to
/// how a person signs in, or to the account itself, needs a password, code or passkey proven in
/// this session within the last five minutes, so a borrowed unlocked browser or a stolen session
/// cannot take the account over. Otherwise `403 reauthentication_required`, and the SPA asks for
/// proof in place (`POST /auth/reauthenticate`) and carries on.
struct RecentAuthentication: Sendable {
    let sessions: SessionStore
    let clock: any WallClock
    let window: TimeInterval = 300

    /// Routes behind this need it; place after ``SignedIn``.
    func required() -> some AsyncMiddleware { Required(policy: self) }

    func isRecent(_ session: GatehouseCore.SessionID, on db: any Database) async throws -> Bool {
        guard let at = try await sessions.authenticatedAt(session, on: db) else { return false }
        return clock.now().timeIntervalSince(at) <= window
    }

    static let problem = Problem(
        .forbidden, code: "reauthentication_required", title: "Confirm it's you",
        detail: "For this change, confirm who you are again: enter your password (or a code or passkey).")

    private struct Required: AsyncMiddleware {
        let policy: RecentAuthentication

        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            guard try await policy.isRecent(try request.principal.sessionID, on: request.db) else { throw RecentAuthentication.problem }
            return try await next.respond(to: request)
        }
    }
}

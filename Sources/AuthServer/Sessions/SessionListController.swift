import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// The caller's own sessions: list, end one, end all others.
struct SessionListController: Capability {
    let sessions: SessionStore
    let signedIn: SignedIn
    let csrf: AuthCSRF
    let cookies: CookiePolicy
    let clock: any WallClock

    func boot(routes: any RoutesBuilder) throws {
        let own = signedIn.guarding(routes.grouped("auth", "sessions"))
        own.get(use: list)
        let changes = own.grouped(csrf.require(.session))
        changes.delete(":id", use: end)
        changes.post("revoke-others", use: revokeOthers)
    }

    struct SessionDTO: Content {
        var id: String
        var createdAt: String
        var lastUsedAt: String
        var userAgent: String
        var ipAddress: String
        var current: Bool
    }

    struct RevokedResponse: Content {
        var revoked: Int
    }

    func list(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let body = try await sessions.live(of: principal.userID, on: req.db).map { session in
            let id = try session.sessionID
            return SessionDTO(
                id: id.description, createdAt: iso8601(session.createdAt), lastUsedAt: iso8601(session.lastUsedAt),
                userAgent: session.userAgent, ipAddress: session.ipAddress, current: id == principal.sessionID)
        }
        return try jsonResponse(body)
    }

    func end(_ req: Request) async throws -> Response {
        let principal = try req.principal
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)).map(GatehouseCore.SessionID.init(uuid:)),
            try await sessions.live(id, of: principal.userID, on: req.db) != nil
        else { throw AuthError.sessionNotFound }
        let now = clock.now()
        try await sessions.revoke(id, reason: "ended_by_user", now: now, on: req.db)
        if id != principal.sessionID {
            try await SecurityEvents.record(
                .sessionsRevoked, user: principal.userID.uuid, session: principal.sessionID.uuid, client: req.client, now: now, on: req.db)
        }
        let response = Response(status: .noContent)
        if id == principal.sessionID { response.clearTokenCookies(policy: cookies) }
        return response
    }

    func revokeOthers(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let now = clock.now()
        let count = try await sessions.revokeAll(
            of: principal.userID, keeping: principal.sessionID, reason: "ended_by_user", now: now, on: req.db)
        if count > 0 {
            try await SecurityEvents.record(
                .sessionsRevoked, user: principal.userID.uuid, session: principal.sessionID.uuid, client: req.client, now: now, on: req.db)
        }
        return try jsonResponse(RevokedResponse(revoked: count))
    }
}

import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import ServerSupport
import Vapor

/// The caller's own sessions: list, end one, end all others. Behind the access-token middleware.
struct SessionListController: Sendable {
    let services: AuthServices

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
        let sessions = try await services.sessions.live(of: principal.userID.uuid)
        let body = try sessions.map { session in
            let id = try session.requireID()
            return SessionDTO(
                id: id.uuidString.lowercased(), createdAt: iso8601(session.createdAt), lastUsedAt: iso8601(session.lastUsedAt),
                userAgent: session.userAgent, ipAddress: session.ipAddress, current: id == principal.sessionID.uuid)
        }
        return try jsonResponse(body)
    }

    func end(_ req: Request) async throws -> Response {
        let principal = try req.principal
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let session = try await SessionRecord.query(on: services.database)
                .filter(\.$id == id).filter(\.$userID == principal.userID.uuid).filter(\.$revokedAt == nil).first()
        else { throw AuthError.sessionNotFound }
        try await services.sessions.revoke(sessionID: try session.requireID(), reason: "ended_by_user", now: services.clock.now(), on: services.database)
        let response = Response(status: .noContent)
        if id == principal.sessionID.uuid { response.clearTokenCookies(policy: services.cookies) }
        return response
    }

    func revokeOthers(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let count = try await services.sessions.revokeAll(
            of: principal.userID.uuid, keeping: principal.sessionID.uuid, reason: "ended_by_user",
            now: services.clock.now(), on: services.database)
        return try jsonResponse(RevokedResponse(revoked: count))
    }
}

/// `/auth/user` and `/auth/validate`.
struct UserController: Sendable {
    let services: AuthServices

    struct ValidResponse: Content {
        var valid: Bool
        var sub: String
        var sid: String
        var expiresAt: String
    }

    func user(_ req: Request) async throws -> Response {
        let principal = try req.principal
        guard let user = try await UserRecord.find(principal.userID.uuid, on: services.database) else { throw Problem.unauthenticated }
        return try jsonResponse(try UserDTO(user))
    }

    func validate(_ req: Request) async throws -> Response {
        let principal = try req.principal
        return try jsonResponse(ValidResponse(
            valid: true, sub: principal.userID.description, sid: principal.sessionID.description,
            expiresAt: iso8601(principal.expiresAt)))
    }
}

/// Refuses access tokens whose session has ended: the Auth Server can afford this check, so a
/// logged-out or revoked session cannot keep managing the account until its token expires.
struct LiveSessionMiddleware: AsyncMiddleware {
    let services: AuthServices

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let principal = try request.principal
        let live = try await SessionRecord.query(on: services.database)
            .filter(\.$id == principal.sessionID.uuid).filter(\.$revokedAt == nil)
            .filter(\.$expiresAt > services.clock.now()).count()
        guard live == 1 else { throw Problem.unauthenticated }
        return try await next.respond(to: request)
    }
}

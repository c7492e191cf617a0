import Fluent
import Foundation
import GatehouseGuard
import Vapor

/// `GET /auth/security-events`: what happened to the caller's account, newest first, for the
/// account page's "Recent security activity".
struct SecurityEventController: Capability {
    let signedIn: SignedIn
    /// How many events one answer holds at most.
    let limit = 100

    var migrations: [any Migration] { [AddSecurityEventUserAgents()] }

    func boot(routes: any RoutesBuilder) throws {
        signedIn.guarding(routes.grouped("auth")).get("security-events", use: list)
    }

    struct EventDTO: Content {
        var kind: String
        var at: String
        var ipAddress: String
        var userAgent: String
        /// An administrator made this change; where they were is theirs, not the person's device.
        var byAdministrator: Bool
    }

    func list(_ req: Request) async throws -> Response {
        let principal = try req.principal
        // Without what the caller did as an administrator to other accounts (that is in /admin/events).
        let events = try await SecurityEventRecord.query(on: req.db)
            .filter(\.$userID == principal.userID.uuid).filter(\.$targetID == nil).sort(\.$createdAt, .descending).limit(limit).all()
        return try jsonResponse(events.map {
            let byAdministrator = $0.actorID != nil
            return EventDTO(
                kind: $0.kind, at: iso8601($0.createdAt), ipAddress: byAdministrator ? "" : $0.ipAddress,
                userAgent: byAdministrator ? "" : $0.userAgent ?? "", byAdministrator: byAdministrator)
        })
    }
}

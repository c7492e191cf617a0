import Fluent
import Foundation
import GatehouseGuard
import Vapor

/// `GET /api/admin/stats`: an example of a route only administrators may call. The role comes
/// from the access token, checked by GatehouseGuard's `requireRole`, exactly as a third-party app
/// would do it.
struct AdminStatsController: Sendable {
    let database: any Database

    struct Stats: Content {
        var projects: Int
        var owners: Int
    }

    func stats(_ req: Request) async throws -> Response {
        let owners = try await ProjectRecord.query(on: database).all(\.$ownerID)
        return try jsonResponse(Stats(projects: owners.count, owners: Set(owners).count))
    }
}

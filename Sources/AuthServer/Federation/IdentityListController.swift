import Fluent
import Foundation
import GatehouseGuard
import ServerSupport
import Vapor

/// `GET /auth/identities`: the providers linked to the caller's account, for the account page.
struct IdentityListController: Sendable {
    let services: AuthServices

    struct IdentityDTO: Content {
        var provider: String
        var name: String
        var email: String?
        var linkedAt: String
        var lastLoginAt: String
    }

    func list(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let names = Dictionary(services.configuration.providers.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let identities = try await IdentityRecord.query(on: services.database)
            .filter(\.$userID == principal.userID.uuid).sort(\.$createdAt).all()
        return try jsonResponse(identities.map {
            IdentityDTO(
                provider: $0.provider, name: names[$0.provider] ?? $0.provider, email: $0.email,
                linkedAt: iso8601($0.createdAt), lastLoginAt: iso8601($0.lastLoginAt))
        })
    }
}

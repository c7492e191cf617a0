import Fluent
import Foundation
import GatehouseGuard
import Vapor

/// `GET /auth/identities`: the providers linked to the caller's account, for the account page.
struct IdentityListController: Capability {
    let providerNames: [String: String]
    let signedIn: SignedIn

    func boot(routes: any RoutesBuilder) throws {
        signedIn.guarding(routes.grouped("auth")).get("identities", use: list)
    }

    struct IdentityDTO: Content {
        var provider: String
        var name: String
        var email: String?
        var linkedAt: String
        var lastLoginAt: String
    }

    func list(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let identities = try await IdentityRecord.query(on: req.db)
            .filter(\.$userID == principal.userID.uuid).sort(\.$createdAt).all()
        return try jsonResponse(identities.map {
            IdentityDTO(
                provider: $0.provider, name: providerNames[$0.provider] ?? $0.provider, email: $0.email,
                linkedAt: iso8601($0.createdAt), lastLoginAt: iso8601($0.lastLoginAt))
        })
    }
}

import GatehouseCore
import GatehouseGuard
import Vapor

/// `GET /auth/providers`: the federated providers configured, so the SPA shows only those.
struct ProviderListController: Capability {
    let providers: [OIDCProviderConfiguration]
    let authURL: String

    func boot(routes: any RoutesBuilder) throws {
        routes.grouped("auth").get("providers", use: list)
    }

    struct ProviderDTO: Content {
        var id: String
        var name: String
        var authorizationUrl: String
    }

    func list(_ req: Request) async throws -> Response {
        try jsonResponse(providers.map {
            ProviderDTO(id: $0.id, name: $0.name, authorizationUrl: "\(authURL)/oauth2/authorization/\($0.id)")
        })
    }
}

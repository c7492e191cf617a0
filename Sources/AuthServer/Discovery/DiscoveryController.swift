import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import SQLKit
import Vapor

/// Public metadata: the JWKS and issuer metadata.
struct DiscoveryController: Capability {
    let keys: KeyStore
    let issuer: String

    func boot(routes: any RoutesBuilder) throws {
        routes.get(".well-known", "jwks.json", use: jwks)
        routes.get(".well-known", "openid-configuration", use: openIDConfiguration)
    }

    struct IssuerMetadata: Content {
        var issuer: String
        var jwks_uri: String
        var id_token_signing_alg_values_supported: [String]
    }

    func jwks(_ req: Request) async throws -> Response {
        let response = try jsonResponse(keys.ring().jwks)
        // Short, so a rotation reaches caches quickly; verifiers refetch on an unknown kid anyway.
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return response
    }

    func openIDConfiguration(_ req: Request) async throws -> Response {
        try jsonResponse(IssuerMetadata(
            issuer: issuer, jwks_uri: "\(issuer)/.well-known/jwks.json",
            id_token_signing_alg_values_supported: SigningAlgorithm.allCases.map(\.rawValue)))
    }
}

import Fluent
import Foundation
import GatehouseCore
import SQLKit
import ServerSupport
import Vapor

/// Public metadata: the JWKS and issuer metadata.
struct DiscoveryController: Sendable {
    let services: AuthServices

    struct IssuerMetadata: Content {
        var issuer: String
        var jwks_uri: String
        var id_token_signing_alg_values_supported: [String]
    }

    func jwks(_ req: Request) async throws -> Response {
        let response = try jsonResponse(services.keys.ring().jwks)
        // Short, so a rotation reaches caches quickly; verifiers refetch on an unknown kid anyway.
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return response
    }

    func openIDConfiguration(_ req: Request) async throws -> Response {
        let issuer = services.configuration.authURL
        return try jsonResponse(IssuerMetadata(
            issuer: issuer, jwks_uri: "\(issuer)/.well-known/jwks.json",
            id_token_signing_alg_values_supported: SigningAlgorithm.allCases.map(\.rawValue)))
    }
}

import Fluent
import Foundation
import GatehouseCore
import SQLKit
import Vapor

/// Public metadata: the JWKS, issuer metadata, health and info.
struct DiscoveryController: Sendable {
    let services: AuthServices

    struct IssuerMetadata: Content {
        var issuer: String
        var jwks_uri: String
        var id_token_signing_alg_values_supported: [String]
    }

    struct Health: Content {
        var status: String
        var components: [String: String]
    }

    struct Info: Content {
        var status = "UP"
        var app: String
        var version: String
        var role: String
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

    func health(_ req: Request) async throws -> Response {
        do {
            _ = try await services.database.sql.raw("SELECT 1 AS ok").all()
            return try jsonResponse(Health(status: "UP", components: ["db": "UP"]))
        } catch {
            return try jsonResponse(Health(status: "DOWN", components: ["db": "DOWN"]), status: .serviceUnavailable)
        }
    }

    func info(_ req: Request) async throws -> Response {
        try jsonResponse(Info(app: "gatehouse", version: GatehouseVersion.current, role: "auth"))
    }
}

/// The released version, shown by `/actuator/info` and `gatehouse --version`.
public enum GatehouseVersion {
    public static let current = "0.1.0"
}

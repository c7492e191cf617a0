import Fluent
import GatehouseGuard
import Foundation
import SQLKit
import Vapor

/// `/actuator/health` (503 with `DOWN` when the database does not answer) and `/actuator/info`.
public struct Actuator: RouteCollection, Sendable {
    public static let version = "0.1.0"

    let database: any Database
    let role: String

    public init(database: any Database, role: String) {
        self.database = database
        self.role = role
    }

    struct Health: Content {
        var status: String
        var components: [String: String]
    }

    struct Info: Content {
        var status = "UP"
        var app = "gatehouse"
        var version: String
        var role: String
    }

    public func boot(routes: any RoutesBuilder) throws {
        routes.get("actuator", "health", use: health)
        routes.get("actuator", "info", use: info)
    }

    func health(_ req: Request) async throws -> Response {
        do {
            guard let sql = database as? any SQLDatabase else { throw Abort(.internalServerError) }
            _ = try await sql.raw("SELECT 1 AS ok").all()
            return try jsonResponse(Health(status: "UP", components: ["db": "UP"]))
        } catch {
            return try jsonResponse(Health(status: "DOWN", components: ["db": "DOWN"]), status: .serviceUnavailable)
        }
    }

    func info(_ req: Request) async throws -> Response {
        try jsonResponse(Info(version: Self.version, role: role))
    }
}

import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// `/auth/user` and `/auth/validate`: who the caller is.
struct UserController: Capability {
    let signedIn: SignedIn

    func boot(routes: any RoutesBuilder) throws {
        let auth = signedIn.guarding(routes.grouped("auth"))
        auth.get("user", use: user)
        auth.get("validate", use: validate)
    }

    struct ValidResponse: Content {
        var valid: Bool
        var sub: String
        var sid: String
        var expiresAt: String
    }

    func user(_ req: Request) async throws -> Response {
        guard let user = try await UserRecord.find(try req.principal.userID, on: req.db) else { throw Problem.unauthenticated }
        return try jsonResponse(try UserDTO(user))
    }

    func validate(_ req: Request) async throws -> Response {
        let principal = try req.principal
        return try jsonResponse(ValidResponse(
            valid: true, sub: principal.userID.description, sid: principal.sessionID.description,
            expiresAt: iso8601(principal.expiresAt)))
    }
}

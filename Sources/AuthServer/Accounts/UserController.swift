import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// `/auth/user` and `/auth/validate`: who the caller is.
struct UserController: Capability {
    let signedIn: SignedIn
    let secondFactors: SecondFactorStore

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

    /// The contract's `user`, and which sign-in methods the account has (for the account page).
    struct UserDetails: Content {
        var id: String
        var email: String
        var firstName: String
        var lastName: String
        var emailVerified: Bool
        var roles: [String]
        var hasPassword: Bool
        var mfa: MFAState
    }

    struct MFAState: Content {
        var totp: Bool
    }

    func user(_ req: Request) async throws -> Response {
        let principal = try req.principal
        guard let user = try await UserRecord.find(principal.userID, on: req.db) else { throw Problem.unauthenticated }
        let dto = try UserDTO(user)
        return try jsonResponse(UserDetails(
            id: dto.id, email: dto.email, firstName: dto.firstName, lastName: dto.lastName, emailVerified: dto.emailVerified,
            roles: dto.roles, hasPassword: user.passwordHash != nil,
            mfa: MFAState(totp: try await secondFactors.isEnabled(principal.userID, on: req.db))))
    }

    func validate(_ req: Request) async throws -> Response {
        let principal = try req.principal
        return try jsonResponse(ValidResponse(
            valid: true, sub: principal.userID.description, sid: principal.sessionID.description,
            expiresAt: iso8601(principal.expiresAt)))
    }
}

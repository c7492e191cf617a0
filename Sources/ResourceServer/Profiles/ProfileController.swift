import Foundation
import GatehouseGuard
import ServerSupport
import Vapor

/// `GET /api/profiles/me`: who the access token says the caller is. No database involved.
struct ProfileController: Sendable {
    struct ProfileDTO: Content {
        var sub: String
        var email: String
        var firstName: String
        var lastName: String
        var roles: [String]
    }

    func me(_ req: Request) async throws -> Response {
        let principal = try req.principal
        return try jsonResponse(ProfileDTO(
            sub: principal.userID.description, email: principal.email, firstName: principal.givenName,
            lastName: principal.familyName, roles: principal.roles))
    }
}

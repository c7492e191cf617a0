import Foundation
import GatehouseGuard
import Vapor

/// `GET /api/profiles/me`: who the access token says the caller is. No database involved.
/// `GET /api/profiles/example`: a public sample of the same shape, for client developers (and the
/// benchmark's unauthenticated baseline of equal size).
struct ProfileController: Sendable {
    static let example = ProfileDTO(
        sub: "00000000-0000-4000-8000-000000000000", email: "ada@example.com", firstName: "Ada", lastName: "Lovelace", roles: ["user"])

    struct ProfileDTO: Content {
        var sub: String
        var email: String
        var firstName: String
        var lastName: String
        var roles: [String]
    }

    func example(_ req: Request) async throws -> Response {
        try jsonResponse(Self.example)
    }

    func me(_ req: Request) async throws -> Response {
        let principal = try req.principal
        return try jsonResponse(ProfileDTO(
            sub: principal.userID.description, email: principal.email, firstName: principal.givenName,
            lastName: principal.familyName, roles: principal.roles))
    }
}

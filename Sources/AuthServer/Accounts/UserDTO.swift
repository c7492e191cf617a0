import Foundation
import Vapor

/// The `user` object of the wire contract.
struct UserDTO: Content {
    let id: String
    let email: String
    let firstName: String
    let lastName: String
    let emailVerified: Bool
    let roles: [String]

    init(_ user: UserRecord) throws {
        id = try user.requireID().uuidString.lowercased()
        email = user.email
        firstName = user.firstName
        lastName = user.lastName
        emailVerified = user.isVerified
        roles = user.roleList
    }
}

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

    init(_ account: Account) {
        id = account.id.description
        email = account.email
        firstName = account.firstName
        lastName = account.lastName
        emailVerified = account.emailVerified
        roles = account.roles
    }

    init(_ user: UserRecord) throws {
        self.init(try user.account)
    }
}

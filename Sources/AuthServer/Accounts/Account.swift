import Foundation
import GatehouseCore
import SQLKit

/// An account as its tokens and the wire's `user` object describe it: what a session needs of the
/// `users` row, without the rest of it.
struct Account: Sendable, Equatable {
    let id: UserID
    let email: String
    let firstName: String
    let lastName: String
    let emailVerified: Bool
    let roles: [String]
}

extension UserRecord {
    var account: Account {
        get throws {
            Account(
                id: try userID, email: email, firstName: firstName, lastName: lastName, emailVerified: isVerified,
                roles: roleList)
        }
    }
}

extension Account {
    /// The account `id` from a row with the `users` columns `email`, `first_name`, `last_name`,
    /// `email_verified_at` and `roles`, as the plain queries of login and refresh select them.
    init(id: UserID, row: any SQLRow) throws {
        self.init(
            id: id, email: try row.decode(column: "email", as: String.self),
            firstName: try row.decode(column: "first_name", as: String.self),
            lastName: try row.decode(column: "last_name", as: String.self),
            emailVerified: try row.decode(column: "email_verified_at", as: Date?.self) != nil,
            roles: try row.decode(column: "roles", as: String.self).split(separator: " ").map(String.init))
    }
}

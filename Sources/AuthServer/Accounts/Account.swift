import Foundation
import GatehouseCore

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

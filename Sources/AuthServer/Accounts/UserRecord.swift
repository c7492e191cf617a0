import Fluent
import GatehouseDatabase
import Foundation
import GatehouseCore
import GatehouseMail

/// An account. The email is stored normalised (trimmed, lower-case) and unique.
final class UserRecord: Model, @unchecked Sendable {
    // Fluent models are reference types mutated through property wrappers; each instance is confined
    // to the one request task that loaded it, which is why `@unchecked Sendable` is safe here.
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "email") var email: String
    @OptionalField(key: "password_hash") var passwordHash: String?
    @OptionalField(key: "email_verified_at") var emailVerifiedAt: Date?
    @Field(key: "first_name") var firstName: String
    @Field(key: "last_name") var lastName: String
    @OptionalField(key: "organization") var organization: String?
    @Field(key: "roles") var roles: String
    @OptionalField(key: "terms_accepted_at") var termsAcceptedAt: Date?
    @OptionalField(key: "marketing_opt_in_at") var marketingOptInAt: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    /// Set while an administrator has disabled the account: no sign-in, no refresh.
    @OptionalField(key: "disabled_at") var disabledAt: Date?

    init() {}

    var userID: UserID { get throws { UserID(uuid: try requireID()) } }
    var isVerified: Bool { emailVerifiedAt != nil }
    var roleList: [String] { roles.split(separator: " ").map(String.init) }

    static func find(_ id: UserID, on db: any Database) async throws -> UserRecord? {
        try await find(id.uuid, on: db)
    }

    static func find(email: EmailAddress, on db: any Database) async throws -> UserRecord? {
        try await query(on: db).filter(\.$email == email.value).first()
    }

    /// What a password login needs of the account at `email`: the account and its password hash, in
    /// one plain query (this runs on every login, where Fluent's model reflection showed).
    static func credentials(email: EmailAddress, on db: any Database) async throws -> (account: Account, passwordHash: String?, disabled: Bool)? {
        guard let row = try await db.sql.raw("""
            SELECT id, email, first_name, last_name, email_verified_at, roles, password_hash, disabled_at FROM users
            WHERE email = \(bind: email.value)
            """).first()
        else { return nil }
        let account = try Account(id: UserID(uuid: try row.decode(column: "id", as: UUID.self)), row: row)
        return (
            account, try row.decode(column: "password_hash", as: String?.self),
            try row.decode(column: "disabled_at", as: Date?.self) != nil
        )
    }

    static func createSchema(on database: any Database) async throws {
        try await database.schema(schema)
            .id()
            .field("email", .string, .required)
            .field("password_hash", .string)
            .field("email_verified_at", .datetime)
            .field("first_name", .string, .required)
            .field("last_name", .string, .required)
            .field("organization", .string)
            .field("roles", .string, .required)
            .field("terms_accepted_at", .datetime)
            .field("marketing_opt_in_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "email")
            .create()
    }
}

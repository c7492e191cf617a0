import Fluent
import Foundation

/// A person's account at an OpenID provider, linked to one local account. Found by (issuer,
/// subject), never by email.
final class IdentityRecord: Model, @unchecked Sendable {
    // See UserRecord for why `@unchecked Sendable` is safe.
    static let schema = "identities"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "provider") var provider: String
    @Field(key: "issuer") var issuer: String
    @Field(key: "subject") var subject: String
    @OptionalField(key: "email") var email: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "last_login_at") var lastLoginAt: Date

    init() {}
}

struct CreateIdentities: AsyncMigration {
    var name: String { "0002-identities" }

    func prepare(on database: any Database) async throws {
        try await database.schema(IdentityRecord.schema)
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("provider", .string, .required)
            .field("issuer", .string, .required)
            .field("subject", .string, .required)
            .field("email", .string)
            .field("created_at", .datetime, .required)
            .field("last_login_at", .datetime, .required)
            .unique(on: "issuer", "subject")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(IdentityRecord.schema).delete()
    }
}

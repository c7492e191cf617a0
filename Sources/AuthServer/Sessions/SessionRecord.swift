import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase

/// One login: a browser holding a refresh-token chain, with an absolute expiry no refresh extends.
final class SessionRecord: Model, @unchecked Sendable {
    // Fluent models are reference types mutated through property wrappers; each instance is confined
    // to the one request task that loaded it, which is why `@unchecked Sendable` is safe here.
    static let schema = "sessions"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "last_used_at") var lastUsedAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "revoked_reason") var revokedReason: String?
    @Field(key: "user_agent") var userAgent: String
    @Field(key: "ip_address") var ipAddress: String
    @Field(key: "current_jti") var currentJTI: UUID
    @OptionalField(key: "previous_jti") var previousJTI: UUID?
    @OptionalField(key: "rotated_at") var rotatedAt: Date?
    /// The current refresh token, sealed with a key derived from its predecessor, so only a client
    /// presenting that predecessor during the grace window can recover it (nothing usable at rest).
    @OptionalField(key: "sealed_successor") var sealedSuccessor: String?
    @Field(key: "generation") var generation: Int
    /// When the person last proved who they are in this session (password, code or passkey): the
    /// sign-in itself, or a re-authentication. Sensitive changes need it recent.
    @OptionalField(key: "authenticated_at") var authenticatedAt: Date?

    init() {}

    var sessionID: SessionID { get throws { SessionID(uuid: try requireID()) } }

    static func createSchema(on database: any Database) async throws {
        try await database.schema(schema)
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("last_used_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .field("revoked_reason", .string)
            .field("user_agent", .string, .required)
            .field("ip_address", .string, .required)
            .field("current_jti", .uuid, .required)
            .field("previous_jti", .uuid)
            .field("rotated_at", .datetime)
            .field("sealed_successor", .string)
            .field("generation", .int, .required)
            .create()
        try await database.sql.raw("CREATE INDEX sessions_user_idx ON sessions (user_id)").run()
    }
}

struct AddSessionAuthenticationTimes: AsyncMigration {
    var name: String { "0006-session-authentication-times" }

    func prepare(on database: any Database) async throws {
        try await database.schema(SessionRecord.schema).field("authenticated_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(SessionRecord.schema).deleteField("authenticated_at").update()
    }
}

import Fluent
import Foundation
import GatehouseCore

/// What a security team is told about, in the `security_events` table.
enum SecurityEventKind: String {
    case refreshTokenReuse = "refresh_token_reuse"
    case passwordChanged = "password_changed"
    case passwordReset = "password_reset"
    case sessionsRevoked = "sessions_revoked"
    case federatedTakeover = "federated_takeover"
    case providerLinked = "provider_linked"
    case providerUnlinked = "provider_unlinked"
}

enum SecurityEvents {
    static func record(_ kind: SecurityEventKind, user: UUID?, session: UUID?, ip: String, now: Date, on db: any Database) async throws {
        let event = SecurityEventRecord()
        event.kind = kind.rawValue
        event.userID = user
        event.sessionID = session
        event.ipAddress = ip
        event.createdAt = now
        try await event.create(on: db)
    }
}

/// Something a security team wants to know about: refresh-token reuse, password changes, resets.
final class SecurityEventRecord: Model, @unchecked Sendable {
    // See UserRecord for why `@unchecked Sendable` is safe.
    static let schema = "security_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "kind") var kind: String
    @OptionalField(key: "user_id") var userID: UUID?
    @OptionalField(key: "session_id") var sessionID: UUID?
    @Field(key: "ip_address") var ipAddress: String
    @Field(key: "created_at") var createdAt: Date

    init() {}

    static func createSchema(on database: any Database) async throws {
        try await database.schema(schema)
            .id()
            .field("kind", .string, .required)
            .field("user_id", .uuid)
            .field("session_id", .uuid)
            .field("ip_address", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
    }
}

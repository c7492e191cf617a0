import Fluent
import SQLKit
import Foundation
import GatehouseCore

/// What a security team is told about, in the `security_events` table.
enum SecurityEventKind: String {
    case login
    case loginFailed = "login_failed"
    case refreshTokenReuse = "refresh_token_reuse"
    case passwordChanged = "password_changed"
    case passwordReset = "password_reset"
    case sessionsRevoked = "sessions_revoked"
    case federatedTakeover = "federated_takeover"
    case providerLinked = "provider_linked"
    case providerUnlinked = "provider_unlinked"
    case mfaEnabled = "mfa_enabled"
    case mfaDisabled = "mfa_disabled"
    case passkeyAdded = "passkey_added"
    case passkeyRemoved = "passkey_removed"
    /// A passkey's signature counter went backwards: perhaps a cloned authenticator. Refused.
    case passkeyCounterRegression = "passkey_counter_regression"
    case emailChanged = "email_changed"
    case accountDisabled = "account_disabled"
    case accountEnabled = "account_enabled"
    case rolesChanged = "roles_changed"
}

enum SecurityEvents {
    /// Records `kind` for `user`. An administrator's change is recorded twice: on the account, with
    /// the administrator as `actor`, and on the administrator, with the account as `target`.
    static func record(
        _ kind: SecurityEventKind, user: UUID?, session: UUID?, actor: UUID? = nil, target: UUID? = nil, client: ClientInfo, now: Date,
        on db: any Database
    ) async throws {
        let event = SecurityEventRecord()
        event.actorID = actor
        event.targetID = target
        event.kind = kind.rawValue
        event.userID = user
        event.sessionID = session
        event.ipAddress = client.ipAddress
        event.userAgent = String(client.userAgent.prefix(512))
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
    @OptionalField(key: "user_agent") var userAgent: String?
    @Field(key: "created_at") var createdAt: Date
    /// The administrator who made this change to the account (nil: the person, or the system).
    @OptionalField(key: "actor_id") var actorID: UUID?
    /// The account an administrator changed, on the administrator's own record of it.
    @OptionalField(key: "target_id") var targetID: UUID?

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

struct AddSecurityEventUserAgents: AsyncMigration {
    var name: String { "0005-security-event-user-agents" }

    func prepare(on database: any Database) async throws {
        try await database.schema(SecurityEventRecord.schema).field("user_agent", .string).update()
        try await database.sql.raw("CREATE INDEX security_events_user_idx ON security_events (user_id, created_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("DROP INDEX security_events_user_idx").run()
        try await database.schema(SecurityEventRecord.schema).deleteField("user_agent").update()
    }
}

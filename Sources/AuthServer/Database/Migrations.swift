import Fluent
import SQLKit

/// Every schema change, in order. Add new ones at the end; never edit a shipped one.
enum Migrations {
    static let all: [any Migration] = [CreateInitialSchema(), CreateIdentities()]
}

struct CreateInitialSchema: AsyncMigration {
    var name: String { "0001-initial-schema" }

    func prepare(on database: any Database) async throws {
        try await database.schema("users")
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
        try await database.schema("sessions")
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
        try await database.schema("one_time_tokens")
            .id()
            .field("token_hash", .string, .required)
            .field("purpose", .string, .required)
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await database.schema("spent_csrf_tokens")
            .id()
            .field("expires_at", .datetime, .required)
            .create()
        try await database.schema("outbox_messages")
            .id()
            .field("recipient", .string, .required)
            .field("subject", .string, .required)
            .field("text_body", .string, .required)
            .field("html_body", .string, .required)
            .field("created_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("locked_until", .datetime)
            .field("sent_at", .datetime)
            .field("failed_at", .datetime)
            .field("last_error", .string)
            .create()
        try await database.schema("security_events")
            .id()
            .field("kind", .string, .required)
            .field("user_id", .uuid)
            .field("session_id", .uuid)
            .field("ip_address", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("rate_limits")
            .field("bucket", .string, .identifier(auto: false))
            .field("window_start", .datetime, .required)
            .field("hits", .int, .required)
            .create()
        if let sql = database as? any SQLDatabase {
            try await sql.raw("CREATE INDEX sessions_user_idx ON sessions (user_id)").run()
            try await sql.raw("CREATE INDEX outbox_due_idx ON outbox_messages (sent_at, next_attempt_at)").run()
            try await sql.raw("CREATE INDEX one_time_tokens_user_idx ON one_time_tokens (user_id, purpose)").run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["rate_limits", "security_events", "outbox_messages", "spent_csrf_tokens", "one_time_tokens", "sessions", "users"] {
            try await database.schema(table).delete()
        }
    }
}

import Fluent

/// The schema: the shipped first one, then each capability's own (``Capability/migrations``), in the
/// order the capabilities are listed. Never edit a shipped migration; each table's shape lives beside
/// the store that owns it.
enum Migrations {
    static func all(_ capabilities: [any Capability]) -> [any Migration] {
        [CreateInitialSchema()] + capabilities.flatMap(\.migrations)
    }
}

/// The first schema: the tables of accounts, sessions, one-time tokens, spent token ids, the
/// outbox, security events and rate limits, in the order their foreign keys need.
struct CreateInitialSchema: AsyncMigration {
    var name: String { "0001-initial-schema" }

    func prepare(on database: any Database) async throws {
        try await UserRecord.createSchema(on: database)
        try await SessionRecord.createSchema(on: database)
        try await OneTimeTokenRecord.createSchema(on: database)
        try await SpentTokenRecord.createSchema(on: database)
        try await OutboxMessageRecord.createSchema(on: database)
        try await SecurityEventRecord.createSchema(on: database)
        try await RateLimiter.createSchema(on: database)
    }

    func revert(on database: any Database) async throws {
        for table in ["rate_limits", "security_events", "outbox_messages", "spent_csrf_tokens", "one_time_tokens", "sessions", "users"] {
            try await database.schema(table).delete()
        }
    }
}

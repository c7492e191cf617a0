import Fluent
import Foundation
import GatehouseDatabase

/// A mail waiting for (or done with) delivery: the durable outbox.
final class OutboxMessageRecord: Model, @unchecked Sendable {
    // See UserRecord for why `@unchecked Sendable` is safe.
    static let schema = "outbox_messages"

    @ID(key: .id) var id: UUID?
    @Field(key: "recipient") var recipient: String
    @Field(key: "subject") var subject: String
    @Field(key: "text_body") var textBody: String
    @Field(key: "html_body") var htmlBody: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "attempts") var attempts: Int
    @Field(key: "next_attempt_at") var nextAttemptAt: Date
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    @OptionalField(key: "sent_at") var sentAt: Date?
    @OptionalField(key: "failed_at") var failedAt: Date?
    @OptionalField(key: "last_error") var lastError: String?

    init() {}

    static func createSchema(on database: any Database) async throws {
        try await database.schema(schema)
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
        try await database.sql.raw("CREATE INDEX outbox_due_idx ON outbox_messages (sent_at, next_attempt_at)").run()
    }
}

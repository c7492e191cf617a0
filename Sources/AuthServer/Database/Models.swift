import Fluent
import Foundation

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

    init() {}

    var isVerified: Bool { emailVerifiedAt != nil }
    var roleList: [String] { roles.split(separator: " ").map(String.init) }
}

/// One login: a browser holding a refresh-token chain, with an absolute expiry no refresh extends.
final class SessionRecord: Model, @unchecked Sendable {
    // See UserRecord for why `@unchecked Sendable` is safe.
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

    init() {}
}

/// A single-use emailed token (confirmation or reset), stored only as its SHA-256.
final class OneTimeTokenRecord: Model, @unchecked Sendable {
    // See UserRecord for why `@unchecked Sendable` is safe.
    static let schema = "one_time_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "purpose") var purpose: String
    @Field(key: "user_id") var userID: UUID
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?

    init() {}
}

/// An anonymous CSRF token already spent; kept until it would have expired anyway.
final class SpentCSRFTokenRecord: Model, @unchecked Sendable {
    // See UserRecord for why `@unchecked Sendable` is safe.
    static let schema = "spent_csrf_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "expires_at") var expiresAt: Date

    init() {}
}

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
}

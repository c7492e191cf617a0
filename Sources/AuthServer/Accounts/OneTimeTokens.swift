import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseMail
import SQLKit

/// What an emailed one-time token is for, with its lifetime.
enum OneTimePurpose: String {
    case confirmAccount = "confirm_account"
    case resetPassword = "reset_password"
    /// Moves the account to the address the link was mailed to.
    case changeEmail = "change_email"

    var lifetime: TimeInterval {
        switch self {
        case .confirmAccount: return 24 * 3600
        case .resetPassword: return 30 * 60
        case .changeEmail: return 3600
        }
    }
}

/// What a registration asked for, kept with its confirmation link: confirming that link activates
/// this password and these names, and no other registration's (CONTRACT "Abuse resistance").
struct PendingRegistration: Codable, Sendable {
    var passwordHash: String
    var firstName: String
    var lastName: String
    var organization: String?
    var marketingOptIn: Bool
}

/// Emailed tokens: 256 random bits, only the SHA-256 stored. A new token never spends the ones
/// already sent (so a stream of requests cannot keep a person's link dead); using one spends every
/// token of its purpose for that account.
enum OneTimeTokens {
    /// Creates a token for `user` and returns the secret.
    static func issue(
        _ purpose: OneTimePurpose, for user: UserID, registration: PendingRegistration? = nil, newEmail: EmailAddress? = nil, now: Date,
        on db: any Database
    ) async throws -> String {
        let secret = Secrets.token()
        let record = OneTimeTokenRecord()
        record.tokenHash = digest(secret)
        record.purpose = purpose.rawValue
        record.userID = user.uuid
        record.createdAt = now
        record.expiresAt = now + purpose.lifetime
        record.newEmail = newEmail?.value
        record.registration = try registration.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await record.create(on: db)
        return secret
    }

    /// Finds the record for a presented secret, whatever its state; the caller decides.
    static func find(_ secret: String, purpose: OneTimePurpose, on db: any Database) async throws -> OneTimeTokenRecord? {
        guard secret.utf8.count == 43, Base64URL.decode(secret) != nil else { return nil }
        return try await OneTimeTokenRecord.query(on: db)
            .filter(\.$tokenHash == digest(secret)).filter(\.$purpose == purpose.rawValue)
            .first()
    }

    /// Marks the record used, only if nobody else did first (false when it lost that race), and
    /// discards every other unused token of its purpose for the account: those links now answer
    /// `invalid`, while this one, presented again, is recognised as used.
    static func spend(_ record: OneTimeTokenRecord, now: Date, on db: any Database) async throws -> Bool {
        let rows = try await db.sql.raw("""
            UPDATE one_time_tokens SET used_at = \(bind: now)
            WHERE id = \(bind: try record.requireID()) AND used_at IS NULL RETURNING id
            """).all()
        guard rows.count == 1 else { return false }
        try await db.sql.raw("""
            DELETE FROM one_time_tokens
            WHERE user_id = \(bind: record.userID) AND purpose = \(bind: record.purpose) AND used_at IS NULL
            """).run()
        return true
    }

    /// Discards every unused token of `purpose` for `user`, e.g. pending confirmations once a reset
    /// has proven the address.
    static func discard(_ purpose: OneTimePurpose, of user: UserID, on db: any Database) async throws {
        try await db.sql.raw("""
            DELETE FROM one_time_tokens
            WHERE user_id = \(bind: user.uuid) AND purpose = \(bind: purpose.rawValue) AND used_at IS NULL
            """).run()
    }

    static func digest(_ secret: String) -> String {
        Secrets.sha256Hex(secret)
    }

    /// Forgets tokens that expired more than a day ago.
    static func prune(now: Date, on db: any Database) async throws {
        try await OneTimeTokenRecord.query(on: db).filter(\.$expiresAt < now - 86_400).delete()
    }
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
    /// A confirmation link's registration (JSON of ``PendingRegistration``).
    @OptionalField(key: "registration") var registration: String?
    /// An email-change link's new address.
    @OptionalField(key: "new_email") var newEmail: String?

    init() {}

    var pendingRegistration: PendingRegistration? {
        registration.flatMap { try? JSONDecoder().decode(PendingRegistration.self, from: Data($0.utf8)) }
    }

    static func createSchema(on database: any Database) async throws {
        try await database.schema(schema)
            .id()
            .field("token_hash", .string, .required)
            .field("purpose", .string, .required)
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await database.sql.raw("CREATE INDEX one_time_tokens_user_idx ON one_time_tokens (user_id, purpose)").run()
    }
}


struct AddPendingRegistrations: AsyncMigration {
    var name: String { "0004-pending-registrations" }

    func prepare(on database: any Database) async throws {
        try await database.schema(OneTimeTokenRecord.schema).field("registration", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(OneTimeTokenRecord.schema).deleteField("registration").update()
    }
}

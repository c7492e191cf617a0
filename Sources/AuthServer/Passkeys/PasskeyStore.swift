import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import SQLKit

/// A registered passkey as the account page lists it.
struct PasskeySummary: Sendable {
    let id: UUID
    let name: String
    let createdAt: Date
    let lastUsedAt: Date?
}

/// A passkey found by its credential id, for an assertion.
struct StoredPasskey: Sendable {
    let id: UUID
    let userID: UserID
    let publicKey: COSEKey
    let signCount: UInt32
}

/// Passkeys and WebAuthn challenges: the one type that reads or writes their tables. A challenge is
/// 32 random bytes, stored only as its SHA-256, single use, five minutes, and bound to what asked for
/// it: the session that registers, or the browser that signs in (its id travels in a cookie).
struct PasskeyStore: Sendable {
    let challengeLifetime: TimeInterval = 300

    enum Purpose: String { case register, authenticate }

    /// A fresh challenge bound to `binding` (a session id, or a random browser id); returns its bytes.
    func newChallenge(_ purpose: Purpose, binding: UUID, user: UserID?, now: Date, on db: any Database) async throws -> [UInt8] {
        let challenge = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
        try await db.sql.raw("""
            INSERT INTO webauthn_challenges (challenge_hash, purpose, binding, user_id, expires_at)
            VALUES (\(bind: Self.digest(challenge)), \(bind: purpose.rawValue), \(bind: binding), \(bind: user?.uuid), \(bind: now + challengeLifetime))
            """).run()
        return challenge
    }

    /// Spends the challenge `challenge` if it is unexpired, of `purpose` and bound to `binding`; a
    /// challenge works once, whatever the outcome of the ceremony that presents it.
    func spendChallenge(_ challenge: [UInt8], purpose: Purpose, binding: UUID, now: Date, on db: any Database) async throws -> Bool {
        let rows = try await db.sql.raw("""
            DELETE FROM webauthn_challenges
            WHERE challenge_hash = \(bind: Self.digest(challenge)) AND purpose = \(bind: purpose.rawValue)
              AND binding = \(bind: binding) AND expires_at > \(bind: now)
            RETURNING challenge_hash
            """).all()
        return rows.count == 1
    }

    func add(
        _ credential: RelyingParty.NewCredential, name: String, to user: UserID, now: Date, on db: any Database
    ) async throws -> PasskeySummary? {
        let id = UUID()
        do {
            try await db.sql.raw("""
                INSERT INTO passkeys (id, user_id, credential_id, public_key, sign_count, name, created_at)
                VALUES (\(bind: id), \(bind: user.uuid), \(bind: Base64URL.encode(Data(credential.id))),
                  \(bind: Base64URL.encode(Data(credential.publicKeyCBOR.encoded()))), \(bind: Int64(credential.signCount)),
                  \(bind: name), \(bind: now))
                """).run()
        } catch let error as any DatabaseError where error.isConstraintFailure {
            return nil  // that authenticator's credential is already registered
        }
        return PasskeySummary(id: id, name: name, createdAt: now, lastUsedAt: nil)
    }

    func find(credentialID: [UInt8], on db: any Database) async throws -> StoredPasskey? {
        guard let row = try await db.sql.raw("""
            SELECT id, user_id, public_key, sign_count FROM passkeys WHERE credential_id = \(bind: Base64URL.encode(Data(credentialID)))
            """).first(),
            let keyBytes = Base64URL.decode(try row.decode(column: "public_key", as: String.self)),
            let cbor = try? CBOR.decode(Array(keyBytes)), let key = try? COSEKey(cbor: cbor)
        else { return nil }
        return StoredPasskey(
            id: try row.decode(column: "id", as: UUID.self), userID: UserID(uuid: try row.decode(column: "user_id", as: UUID.self)),
            publicKey: key, signCount: UInt32(clamping: try row.decode(column: "sign_count", as: Int64.self)))
    }

    /// Records a use: the new counter (only forward, so two racing assertions cannot both pass).
    func used(_ passkey: StoredPasskey, signCount: UInt32, now: Date, on db: any Database) async throws -> Bool {
        let rows = try await db.sql.raw("""
            UPDATE passkeys SET sign_count = \(bind: Int64(signCount)), last_used_at = \(bind: now)
            WHERE id = \(bind: passkey.id) AND (sign_count < \(bind: Int64(signCount)) OR \(bind: Int64(signCount)) = 0)
            RETURNING id
            """).all()
        return rows.count == 1
    }

    func list(of user: UserID, on db: any Database) async throws -> [PasskeySummary] {
        try await db.sql.raw("""
            SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = \(bind: user.uuid) ORDER BY created_at
            """).all().map {
            PasskeySummary(
                id: try $0.decode(column: "id", as: UUID.self), name: try $0.decode(column: "name", as: String.self),
                createdAt: try $0.decode(column: "created_at", as: Date.self), lastUsedAt: try $0.decode(column: "last_used_at", as: Date?.self))
        }
    }

    func credentialIDs(of user: UserID, on db: any Database) async throws -> [String] {
        try await db.sql.raw("SELECT credential_id FROM passkeys WHERE user_id = \(bind: user.uuid)").all()
            .map { try $0.decode(column: "credential_id", as: String.self) }
    }

    func count(of user: UserID, on db: any Database) async throws -> Int {
        try await credentialIDs(of: user, on: db).count
    }

    func remove(_ id: UUID, of user: UserID, on db: any Database) async throws -> Bool {
        try await db.sql.raw("DELETE FROM passkeys WHERE id = \(bind: id) AND user_id = \(bind: user.uuid) RETURNING id").all().count == 1
    }

    static func digest(_ challenge: [UInt8]) -> String {
        Secrets.sha256Hex(Base64URL.encode(Data(challenge)))
    }
}

struct CreatePasskeys: AsyncMigration {
    var name: String { "0008-passkeys" }

    func prepare(on database: any Database) async throws {
        try await database.schema("passkeys")
            .field("id", .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("credential_id", .string, .required)
            .field("public_key", .string, .required)
            .field("sign_count", .int64, .required)
            .field("name", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_used_at", .datetime)
            .unique(on: "credential_id")
            .create()
        try await database.schema("webauthn_challenges")
            .field("challenge_hash", .string, .identifier(auto: false))
            .field("purpose", .string, .required)
            .field("binding", .uuid, .required)
            .field("user_id", .uuid)
            .field("expires_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("webauthn_challenges").delete()
        try await database.schema("passkeys").delete()
    }
}

import Crypto
import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import SQLKit

/// A person's TOTP factor and recovery codes: the one type that reads or writes their tables. The
/// TOTP secret is sealed at rest (``AtRestSeal``, `totp.key`); recovery codes are stored as SHA-256
/// of 80 random bits, so a copy of the database yields neither.
struct SecondFactorStore: Sendable {
    let seal: AtRestSeal

    /// Starts (or restarts) an enrolment: a new unconfirmed secret; nil when TOTP is already on.
    func begin(for user: UserID, now: Date, on db: any Database) async throws -> TOTP? {
        try await db.write { tx in
            if try await confirmed(user, on: tx) != nil { return nil }
            try await tx.sql.raw("DELETE FROM totp_factors WHERE user_id = \(bind: user.uuid)").run()
            let totp = TOTP(secret: TOTP.randomSecret())
            try await tx.sql.raw("""
                INSERT INTO totp_factors (user_id, sealed_secret, created_at)
                VALUES (\(bind: user.uuid), \(bind: try seal.seal(Base32.encode(totp.secret))), \(bind: now))
                """).run()
            return totp
        }
    }

    /// Confirms the pending enrolment with a first code; returns the new recovery codes, or nil
    /// when there is no pending enrolment or the code is wrong.
    func confirm(_ user: UserID, code: String, now: Date, on db: any Database) async throws -> [String]? {
        try await db.write { tx in
            guard let row = try await tx.sql.raw("""
                SELECT sealed_secret FROM totp_factors WHERE user_id = \(bind: user.uuid) AND confirmed_at IS NULL
                """).first(),
                let totp = try totp(row),
                let counter = totp.matchingCounter(code, at: now)
            else { return nil }
            try await tx.sql.raw("""
                UPDATE totp_factors SET confirmed_at = \(bind: now), last_used_counter = \(bind: counter)
                WHERE user_id = \(bind: user.uuid)
                """).run()
            return try await replaceRecoveryCodes(of: user, now: now, on: tx)
        }
    }

    /// Whether `user` has confirmed TOTP (a password alone then signs no one in).
    func isEnabled(_ user: UserID, on db: any Database) async throws -> Bool {
        try await confirmed(user, on: db) != nil
    }

    /// Accepts a TOTP code once: within one step of drift, and only for a step later than the last
    /// accepted one (so a code seen over someone's shoulder cannot be replayed in its 30 seconds).
    func useCode(_ code: String, of user: UserID, now: Date, on db: any Database) async throws -> Bool {
        guard let row = try await confirmed(user, on: db), let totp = try totp(row),
            let counter = totp.matchingCounter(code, at: now)
        else { return false }
        let updated = try await db.sql.raw("""
            UPDATE totp_factors SET last_used_counter = \(bind: counter)
            WHERE user_id = \(bind: user.uuid) AND confirmed_at IS NOT NULL
              AND (last_used_counter IS NULL OR last_used_counter < \(bind: counter))
            RETURNING user_id
            """).all()
        return updated.count == 1
    }

    /// Accepts a recovery code once.
    func useRecoveryCode(_ code: String, of user: UserID, now: Date, on db: any Database) async throws -> Bool {
        let spent = try await db.sql.raw("""
            UPDATE recovery_codes SET used_at = \(bind: now)
            WHERE user_id = \(bind: user.uuid) AND code_hash = \(bind: Self.digest(code)) AND used_at IS NULL
            RETURNING user_id
            """).all()
        return spent.count == 1
    }

    /// Turns TOTP off and discards the recovery codes; false when it was not on.
    func disable(_ user: UserID, on db: any Database) async throws -> Bool {
        try await db.write { tx in
            let removed = try await tx.sql.raw("DELETE FROM totp_factors WHERE user_id = \(bind: user.uuid) RETURNING user_id").all()
            try await tx.sql.raw("DELETE FROM recovery_codes WHERE user_id = \(bind: user.uuid)").run()
            return !removed.isEmpty
        }
    }

    /// A new set of recovery codes replacing the old; nil when TOTP is not on.
    func regenerateRecoveryCodes(of user: UserID, now: Date, on db: any Database) async throws -> [String]? {
        try await db.write { tx in
            guard try await confirmed(user, on: tx) != nil else { return nil }
            return try await replaceRecoveryCodes(of: user, now: now, on: tx)
        }
    }

    private func replaceRecoveryCodes(of user: UserID, now: Date, on tx: any Database) async throws -> [String] {
        try await tx.sql.raw("DELETE FROM recovery_codes WHERE user_id = \(bind: user.uuid)").run()
        let codes = (0..<10).map { _ in Self.newRecoveryCode() }
        for code in codes {
            try await tx.sql.raw("""
                INSERT INTO recovery_codes (id, user_id, code_hash, created_at)
                VALUES (\(bind: UUID()), \(bind: user.uuid), \(bind: Self.digest(code)), \(bind: now))
                """).run()
        }
        return codes
    }

    private func confirmed(_ user: UserID, on db: any Database) async throws -> (any SQLRow)? {
        try await db.sql.raw("""
            SELECT sealed_secret FROM totp_factors WHERE user_id = \(bind: user.uuid) AND confirmed_at IS NOT NULL
            """).first()
    }

    private func totp(_ row: any SQLRow) throws -> TOTP? {
        Base32.decode(try seal.open(try row.decode(column: "sealed_secret", as: String.self))).map { TOTP(secret: $0) }
    }

    /// `xxxx-xxxx-xxxx-xxxx` in lower-case base32: 80 random bits, easy to type from paper.
    static func newRecoveryCode() -> String {
        let text = Base32.encode(TOTP.randomSecret().prefix(10).map { $0 }).lowercased()
        return stride(from: 0, to: 16, by: 4).map { start in
            String(text[text.index(text.startIndex, offsetBy: start)..<text.index(text.startIndex, offsetBy: start + 4)])
        }.joined(separator: "-")
    }

    /// Codes are compared without case, spaces or dashes, so `ABCD EFGH…` typed from paper matches.
    static func digest(_ code: String) -> String {
        Secrets.sha256Hex(code.lowercased().filter { $0.isLetter || $0.isNumber })
    }
}

struct CreateSecondFactors: AsyncMigration {
    var name: String { "0007-second-factors" }

    func prepare(on database: any Database) async throws {
        try await database.schema("totp_factors")
            .field("user_id", .uuid, .identifier(auto: false), .references("users", "id", onDelete: .cascade))
            .field("sealed_secret", .string, .required)
            .field("created_at", .datetime, .required)
            .field("confirmed_at", .datetime)
            .field("last_used_counter", .int64)
            .create()
        try await database.schema("recovery_codes")
            .field("id", .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("code_hash", .string, .required)
            .field("created_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "user_id", "code_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("recovery_codes").delete()
        try await database.schema("totp_factors").delete()
    }
}

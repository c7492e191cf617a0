import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import SQLKit

/// Everything the Auth Server holds about one person (GDPR Art. 15 and 20), table by table.
/// Secrets are named but never exported (the password hash, the TOTP secret, code and token hashes,
/// refresh-token ids): they prove nothing to the person and would help whoever got the file.
/// Rate-limit counters are keyed by hashes and gone within the hour; they are not personal rows.
struct AccountExport: Sendable {
    /// Each table holding rows about the person, with the rows' exported columns. The one list
    /// keeps export and deletion honest: a test checks it covers every table with a `user_id`.
    static let tables: [(name: String, owner: String, columns: String)] = [
        ("users", "id", "id, email, first_name, last_name, organization, roles, email_verified_at, terms_accepted_at, marketing_opt_in_at, created_at, updated_at, disabled_at"),
        ("sessions", "user_id", "id, created_at, last_used_at, expires_at, revoked_at, revoked_reason, user_agent, ip_address, authenticated_at"),
        ("identities", "user_id", "id, provider, issuer, subject, email, created_at, last_login_at"),
        ("security_events", "user_id", "id, kind, created_at, ip_address, user_agent, actor_id, target_id"),
        ("one_time_tokens", "user_id", "id, purpose, created_at, expires_at, used_at, new_email"),
        ("totp_factors", "user_id", "created_at, confirmed_at"),
        ("recovery_codes", "user_id", "id, created_at, used_at"),
        ("passkeys", "user_id", "id, name, sign_count, created_at, last_used_at"),
        ("webauthn_challenges", "user_id", "purpose, expires_at"),
        ("outbox_messages", "recipient", "id, subject, created_at, sent_at, failed_at"),
        ("link_requests", "email", "id, purpose, created_at"),
    ]

    /// What a table's owner column holds for the person: their id, or their address.
    static func ownerKey(of column: String, user: UserID, email: String) -> any Encodable & Sendable {
        column == "id" || column == "user_id" ? user.uuid : email
    }

    /// The export of `user`: `{exportedAt, <table>: [rows]}`, each row its columns by their names in
    /// the database, so the file says plainly what is stored where.
    static func collect(_ user: UserID, now: Date, on db: any Database) async throws -> [String: JSONValue] {
        guard let email = try await db.sql.raw("SELECT email FROM users WHERE id = \(bind: user.uuid)").first()?
            .decode(column: "email", as: String.self)
        else { throw Problem.unauthenticated }
        var export: [String: JSONValue] = ["exportedAt": .string(iso8601(now))]
        for table in tables {
            let key = ownerKey(of: table.owner, user: user, email: email)
            let rows = try await db.sql.raw("""
                SELECT \(unsafeRaw: table.columns) FROM \(ident: table.name) WHERE \(ident: table.owner) = \(bind: key)
                """).all()
            export[table.name] = .array(try rows.map { row in
                .object(Dictionary(uniqueKeysWithValues: try row.allColumns.map { ($0, try JSONValue(row, column: $0)) }))
            })
        }
        return export
    }
}

/// A JSON value read from any column, whatever the database's types.
enum JSONValue: Encodable, Sendable {
    case string(String), number(Double), bool(Bool), null
    case array([JSONValue]), object([String: JSONValue])

    init(_ row: any SQLRow, column: String) throws {
        if try row.decodeNil(column: column) {
            self = .null
        } else if column.hasSuffix("_at") {
            self = .string(iso8601(try row.decode(column: column, as: Date.self)))
        } else if column == "id" || column.hasSuffix("_id") {
            self = .string(try row.decode(column: column, as: UUID.self).uuidString.lowercased())
        } else if column == "sign_count" {
            self = .number(Double(try row.decode(column: column, as: Int64.self)))
        } else {
            self = .string(try row.decode(column: column, as: String.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseGuard
import GatehouseMail
import SQLKit

/// Who makes an administrative change: an administrator through the admin API, or the operator
/// at the console (`gatehouse users …`), who has the database and needs no account.
public struct Administrator: Sendable {
    let id: UserID?
    let session: UUID?
    let client: ClientInfo

    /// The operator running `gatehouse` on the server.
    public static let console = Administrator(
        id: nil, session: nil, client: ClientInfo(userAgent: "gatehouse console", ipAddress: "console", rateLimitKey: "console"))
}

/// The operations of the admin API and of `gatehouse users` / `gatehouse events`, in one place so
/// both answer alike: find accounts, see one, disable or enable it, change its roles, end its
/// sessions, read security events. Every change is a security event of the account and, when an
/// administrator made it, of the administrator.
public struct AccountAdministration: Sendable {
    let sessions: SessionStore
    let clock: any WallClock
    let pageSize = 50
    let recentEvents = 20

    // MARK: Reading

    /// Accounts whose email or name contains `query` (any case), by email, after `cursor`.
    public func list(query: String?, cursor: String?, limit: Int? = nil, on db: any Database) async throws -> AdminAccountPage {
        let size = min(max(limit ?? pageSize, 1), 500)
        var conditions: [SQLQueryString] = []
        if let query = query?.trimmingCharacters(in: .whitespaces), !query.isEmpty {
            guard query.count <= 200 else { throw AdminError.validation(field: "query", "Search for at most 200 characters.") }
            let pattern = "%" + Self.escapeLike(query.lowercased()) + "%"
            conditions.append("""
                (LOWER(email) LIKE \(bind: pattern) ESCAPE '\\' OR LOWER(first_name) LIKE \(bind: pattern) ESCAPE '\\' \
                OR LOWER(last_name) LIKE \(bind: pattern) ESCAPE '\\')
                """)
        }
        if let cursor { conditions.append("email > \(bind: try AdminCursor.email(from: cursor))") }
        let rows = try await db.sql.raw("""
            \(unsafeRaw: Self.accountColumns) \(Self.whereClause(conditions)) ORDER BY email LIMIT \(bind: size + 1)
            """).all()
        let accounts = try rows.prefix(size).map(Self.account(from:))
        return AdminAccountPage(
            users: accounts, nextCursor: rows.count > size ? accounts.last.map { AdminCursor.encode(email: $0.email) } : nil)
    }

    /// The account at `email`, if any (the console names accounts by email).
    public func account(email: String, on db: any Database) async throws -> AdminAccount? {
        guard let address = EmailAddress.lenient(email) else { return nil }
        return try await db.sql.raw("\(unsafeRaw: Self.accountColumns) WHERE email = \(bind: address.value)").first().map(Self.account(from:))
    }

    public func account(_ id: UserID, on db: any Database) async throws -> AdminAccount? {
        try await db.sql.raw("\(unsafeRaw: Self.accountColumns) WHERE id = \(bind: id.uuid)").first().map(Self.account(from:))
    }

    /// Everything an administrator needs to help the person: sessions, providers, second factors, events.
    public func detail(_ id: UserID, on db: any Database) async throws -> AdminAccountDetail {
        guard let user = try await account(id, on: db) else { throw AdminError.notFound }
        let sessions = try await sessions.live(of: id, on: db).map {
            AdminSession(
                id: try $0.requireID().uuidString.lowercased(), createdAt: iso8601($0.createdAt), lastUsedAt: iso8601($0.lastUsedAt),
                userAgent: $0.userAgent, ipAddress: $0.ipAddress)
        }
        let identities = try await IdentityRecord.query(on: db).filter(\.$userID == id.uuid).sort(\.$createdAt).all().map {
            AdminIdentity(id: try $0.requireID().uuidString.lowercased(), provider: $0.provider, email: $0.email, linkedAt: iso8601($0.createdAt))
        }
        let totp = try await db.sql.raw("""
            SELECT COUNT(*) AS n FROM totp_factors WHERE user_id = \(bind: id.uuid) AND confirmed_at IS NOT NULL
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        let codes = try await db.sql.raw("""
            SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = \(bind: id.uuid) AND used_at IS NULL
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        let passkeys = try await PasskeyStore().list(of: id, on: db).map {
            AdminPasskey(id: $0.id.uuidString.lowercased(), name: $0.name, createdAt: iso8601($0.createdAt), lastUsedAt: $0.lastUsedAt.map(iso8601))
        }
        let events = try await self.events(user: id, kind: nil, since: nil, cursor: nil, limit: recentEvents, on: db).events
        return AdminAccountDetail(
            user: user, sessions: sessions, identities: identities,
            secondFactors: AdminSecondFactors(totp: totp > 0, recoveryCodesLeft: codes, passkeys: passkeys), events: events)
    }

    /// Security events, newest first, of `user` and/or of `kind`, since `since`, after `cursor`.
    public func events(
        user: UserID?, kind: String?, since: Date?, cursor: String?, limit: Int? = nil, on db: any Database
    ) async throws -> AdminEventPage {
        let size = min(max(limit ?? pageSize, 1), 1000)
        var conditions: [SQLQueryString] = []
        if let user { conditions.append("e.user_id = \(bind: user.uuid)") }
        if let kind { conditions.append("e.kind = \(bind: kind)") }
        if let since { conditions.append("e.created_at >= \(bind: since)") }
        if let cursor {
            // The position is the cursor's own row, read back exactly as stored: a time that went
            // through a decimal string may not compare equal to it. The time in the cursor only
            // stands in when that row is gone (its account was deleted).
            let after = try AdminCursor.event(from: cursor)
            let at: SQLQueryString = "COALESCE((SELECT created_at FROM security_events WHERE id = \(bind: after.id)), \(bind: after.at))"
            conditions.append("(e.created_at < \(at) OR (e.created_at = \(at) AND e.id < \(bind: after.id)))")
        }
        let rows = try await db.sql.raw("""
            SELECT e.id, e.kind, e.created_at, e.user_id, u.email, e.actor_id, e.target_id, e.ip_address, e.user_agent
            FROM security_events e LEFT JOIN users u ON u.id = e.user_id
            \(Self.whereClause(conditions)) ORDER BY e.created_at DESC, e.id DESC LIMIT \(bind: size + 1)
            """).all()
        var events: [AdminEvent] = []
        var last: (Date, UUID)?
        for row in rows.prefix(size) {
            let id = try row.decode(column: "id", as: UUID.self)
            let at = try row.decode(column: "created_at", as: Date.self)
            last = (at, id)
            events.append(AdminEvent(
                id: id.uuidString.lowercased(), kind: try row.decode(column: "kind", as: String.self), at: iso8601(at),
                userId: try row.decode(column: "user_id", as: UUID?.self)?.uuidString.lowercased(),
                email: try row.decode(column: "email", as: String?.self),
                actorId: try row.decode(column: "actor_id", as: UUID?.self)?.uuidString.lowercased(),
                targetId: try row.decode(column: "target_id", as: UUID?.self)?.uuidString.lowercased(),
                ipAddress: try row.decode(column: "ip_address", as: String.self),
                userAgent: try row.decode(column: "user_agent", as: String?.self) ?? ""))
        }
        return AdminEventPage(events: events, nextCursor: rows.count > size ? last.map { AdminCursor.encode(at: $0.0, id: $0.1) } : nil)
    }

    // MARK: Changing

    /// Disables (every session ends, no sign-in or refresh works) or enables the account.
    public func setDisabled(_ disabled: Bool, of id: UserID, by administrator: Administrator, on db: any Database) async throws -> AdminAccount {
        if disabled, administrator.id == id { throw AdminError.selfLockout }
        let now = clock.now()
        try await db.write { tx in
            let changed = try await tx.sql.raw("""
                UPDATE users SET disabled_at = \(bind: disabled ? now : nil), updated_at = \(bind: now)
                WHERE id = \(bind: id.uuid) AND (disabled_at IS \(unsafeRaw: disabled ? "" : "NOT ")NULL) RETURNING id
                """).all()
            if disabled {
                try await sessions.revokeAll(of: id, reason: "account_disabled", now: now, on: tx)
            }
            if !changed.isEmpty {
                try await record(disabled ? .accountDisabled : .accountEnabled, of: id, by: administrator, now: now, on: tx)
            }
        }
        guard let account = try await account(id, on: db) else { throw AdminError.notFound }
        return account
    }

    /// Gives the account exactly `roles` (``Role/user`` always stays).
    public func setRoles(_ roles: RoleSet, of id: UserID, by administrator: Administrator, on db: any Database) async throws -> AdminAccount {
        if administrator.id == id, !roles.contains(.admin) { throw AdminError.selfLockout }
        guard let current = try await account(id, on: db) else { throw AdminError.notFound }
        if current.roles != roles.names {
            let now = clock.now()
            try await db.write { tx in
                try await tx.sql.raw("""
                    UPDATE users SET roles = \(bind: roles.column), updated_at = \(bind: now) WHERE id = \(bind: id.uuid)
                    """).run()
                try await record(.rolesChanged, of: id, by: administrator, now: now, on: tx)
            }
        }
        guard let account = try await account(id, on: db) else { throw AdminError.notFound }
        return account
    }

    /// Ends every session of the account; how many ended.
    public func logout(_ id: UserID, by administrator: Administrator, on db: any Database) async throws -> Int {
        guard try await account(id, on: db) != nil else { throw AdminError.notFound }
        let now = clock.now()
        return try await db.write { tx in
            let ended = try await sessions.revokeAll(of: id, reason: "admin_logout", now: now, on: tx)
            if ended > 0 { try await record(.sessionsRevoked, of: id, by: administrator, now: now, on: tx) }
            return ended
        }
    }

    private func record(_ kind: SecurityEventKind, of id: UserID, by administrator: Administrator, now: Date, on db: any Database) async throws {
        try await SecurityEvents.record(
            kind, user: id.uuid, session: nil, actor: administrator.id?.uuid, client: administrator.client, now: now, on: db)
        if let admin = administrator.id {
            try await SecurityEvents.record(
                kind, user: admin.uuid, session: administrator.session, target: id.uuid, client: administrator.client, now: now, on: db)
        }
    }

    // MARK: Rows

    private static let accountColumns = """
        SELECT id, email, first_name, last_name, email_verified_at, disabled_at, roles, created_at,
          (SELECT MAX(created_at) FROM security_events e WHERE e.user_id = users.id AND e.kind = 'login') AS last_login_at
        FROM users
        """

    private static func account(from row: any SQLRow) throws -> AdminAccount {
        AdminAccount(
            id: try row.decode(column: "id", as: UUID.self).uuidString.lowercased(),
            email: try row.decode(column: "email", as: String.self),
            firstName: try row.decode(column: "first_name", as: String.self),
            lastName: try row.decode(column: "last_name", as: String.self),
            emailVerified: try row.decode(column: "email_verified_at", as: Date?.self) != nil,
            disabled: try row.decode(column: "disabled_at", as: Date?.self) != nil,
            roles: RoleSet(column: try row.decode(column: "roles", as: String.self)).names,
            createdAt: iso8601(try row.decode(column: "created_at", as: Date.self)),
            lastLoginAt: try row.decode(column: "last_login_at", as: Date?.self).map(iso8601))
    }

    private static func whereClause(_ conditions: [SQLQueryString]) -> SQLQueryString {
        guard var clause = conditions.first.map({ "WHERE " as SQLQueryString + $0 }) else { return "" }
        for condition in conditions.dropFirst() { clause = clause + " AND " + condition }
        return clause
    }

    /// `query` for a LIKE pattern: its own `%`, `_` and `\` match themselves.
    static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}

import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// The admin API under `/admin/`: the operations of ``AccountAdministration`` for callers whose
/// access token carries `admin` and whose account still has it (checked in the database too, so
/// a removed role or a disabled administrator stops at once, not when the token expires). Changes
/// need the session CSRF token.
struct AdminController: Capability {
    let administration: AccountAdministration
    let signedIn: SignedIn
    let csrf: AuthCSRF

    var migrations: [any Migration] { [AddAdministration()] }

    func boot(routes: any RoutesBuilder) throws {
        let admin = signedIn.guarding(routes.grouped("admin")).requireRole(Role.admin.name).grouped(StillAdministrator())
        admin.get("users", use: list)
        admin.get("users", ":id", use: show)
        admin.get("events", use: events)
        let changes = admin.grouped(csrf.require(.session))
        changes.patch("users", ":id", use: change)
        changes.post("users", ":id", "logout", use: logout)
    }

    func list(_ req: Request) async throws -> Response {
        try jsonResponse(try await administration.list(
            query: req.query[String.self, at: "query"], cursor: req.query[String.self, at: "cursor"], on: req.db))
    }

    func show(_ req: Request) async throws -> Response {
        try jsonResponse(try await administration.detail(try accountID(req), on: req.db))
    }

    struct Change: Content {
        var disabled: Bool?
        var roles: [String]?
    }

    func change(_ req: Request) async throws -> Response {
        let id = try accountID(req)
        let input = try req.content.decode(Change.self)
        var roles: RoleSet?
        if let names = input.roles {
            let parsed = names.compactMap(Role.init)
            guard parsed.count == names.count, names.count <= 32 else {
                throw AdminError.validation(
                    field: "roles", "Roles are lower-case letters, digits, '_' and '-', starting with a letter, at most 32 characters.")
            }
            roles = RoleSet(parsed)
        }
        let administrator = try req.administrator
        // Check both before changing either, so a refused change leaves the account as it was.
        if administrator.id == id, input.disabled == true || roles.map({ !$0.contains(.admin) }) == true {
            throw AdminError.selfLockout
        }
        var account = try await administration.account(id, on: req.db)
        guard account != nil else { throw AdminError.notFound }
        if let roles { account = try await administration.setRoles(roles, of: id, by: administrator, on: req.db) }
        if let disabled = input.disabled { account = try await administration.setDisabled(disabled, of: id, by: administrator, on: req.db) }
        return try jsonResponse(account)
    }

    struct Revoked: Content {
        var revoked: Int
    }

    func logout(_ req: Request) async throws -> Response {
        try jsonResponse(Revoked(revoked: try await administration.logout(try accountID(req), by: try req.administrator, on: req.db)))
    }

    func events(_ req: Request) async throws -> Response {
        var user: UserID?
        if let named = req.query[String.self, at: "user"], !named.isEmpty {
            if let uuid = UUID(uuidString: named) {
                user = UserID(uuid: uuid)
            } else if let account = try await administration.account(email: named, on: req.db), let uuid = UUID(uuidString: account.id) {
                user = UserID(uuid: uuid)
            } else {
                return try jsonResponse(AdminEventPage(events: [], nextCursor: nil))
            }
        }
        var since: Date?
        if let text = req.query[String.self, at: "since"] {
            guard let date = ISO8601DateFormatter().date(from: text) else {
                throw AdminError.validation(field: "since", "Give an ISO-8601 time, e.g. 2026-01-31T00:00:00Z.")
            }
            since = date
        }
        let kind = req.query[String.self, at: "kind"].flatMap { $0.isEmpty ? nil : $0 }
        if let kind, kind.count > 64 { throw AdminError.validation(field: "kind", "No event kind is that long.") }
        return try jsonResponse(try await administration.events(
            user: user, kind: kind, since: since, cursor: req.query[String.self, at: "cursor"], on: req.db))
    }

    private func accountID(_ req: Request) throws -> UserID {
        guard let uuid = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw AdminError.notFound }
        return UserID(uuid: uuid)
    }

    /// The token said `admin`; the account must still say so, and must not be disabled.
    private struct StillAdministrator: AsyncMiddleware {
        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            let principal = try request.principal
            guard let row = try await request.db.sql.raw("""
                SELECT roles FROM users WHERE id = \(bind: principal.userID.uuid) AND disabled_at IS NULL
                """).first(),
                RoleSet(column: try row.decode(column: "roles", as: String.self)).contains(.admin)
            else { throw Problem.forbidden }
            return try await next.respond(to: request)
        }
    }
}

extension Request {
    /// The signed-in administrator making this request.
    fileprivate var administrator: Administrator {
        get throws {
            let principal = try principal
            return Administrator(id: principal.userID, session: principal.sessionID.uuid, client: client)
        }
    }
}

/// Disabled accounts, and events that say which administrator acted on which account.
struct AddAdministration: AsyncMigration {
    var name: String { "0009-administration" }

    func prepare(on database: any Database) async throws {
        try await database.schema(UserRecord.schema).field("disabled_at", .datetime).update()
        try await database.schema(SecurityEventRecord.schema).field("actor_id", .uuid).update()
        try await database.schema(SecurityEventRecord.schema).field("target_id", .uuid).update()
        try await database.sql.raw("CREATE INDEX security_events_time_idx ON security_events (created_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("DROP INDEX security_events_time_idx").run()
        try await database.schema(SecurityEventRecord.schema).deleteField("target_id").update()
        try await database.schema(SecurityEventRecord.schema).deleteField("actor_id").update()
        try await database.schema(UserRecord.schema).deleteField("disabled_at").update()
    }
}

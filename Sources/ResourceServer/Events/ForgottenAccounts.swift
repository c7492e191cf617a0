import Fluent
import Foundation
import GatehouseCore
import SQLKit

/// Accounts the Auth Server said were deleted. Their access tokens stay valid for up to their
/// lifetime (they are never looked up), so until then a deleted person's token could still create
/// data here that no event would ever clean up: new data is refused for a day after the event.
struct ForgottenAccounts: Sendable {
    let database: any Database
    /// Longer than any access token lives.
    let remembered: TimeInterval = 86_400

    func forget(_ sub: UserID, now: Date) async throws {
        try await database.sql.raw("DELETE FROM forgotten_accounts WHERE forgotten_at < \(bind: now - remembered)").run()
        try await database.sql.raw("""
            INSERT INTO forgotten_accounts (sub, forgotten_at) VALUES (\(bind: sub.uuid), \(bind: now))
            ON CONFLICT (sub) DO NOTHING
            """).run()
    }

    func isForgotten(_ sub: UserID, now: Date) async throws -> Bool {
        try await database.sql.raw("""
            SELECT 1 AS found FROM forgotten_accounts WHERE sub = \(bind: sub.uuid) AND forgotten_at >= \(bind: now - remembered)
            """).first() != nil
    }
}

struct CreateForgottenAccounts: AsyncMigration {
    var name: String { "0002-forgotten-accounts" }

    func prepare(on database: any Database) async throws {
        try await database.schema("forgotten_accounts")
            .field("sub", .uuid, .identifier(auto: false))
            .field("forgotten_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("forgotten_accounts").delete()
    }
}

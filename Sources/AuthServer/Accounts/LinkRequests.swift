import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseMail
import Logging
import SQLKit

/// Requests for a mailed link (forgot password, resend confirmation). The request itself only
/// records the address, whether or not it has an account, so every answer costs the same work and
/// takes the same time (LESSONS 5); ``LinkRequestWorker`` later decides whether a link is made.
enum LinkRequests {
    enum Purpose: String {
        case resetPassword = "reset_password"
        case confirmAccount = "confirm_account"
    }

    static func record(_ purpose: Purpose, email: EmailAddress, now: Date, on db: any Database) async throws {
        try await db.sql.raw("""
            INSERT INTO link_requests (id, purpose, email, created_at)
            VALUES (\(bind: UUID()), \(bind: purpose.rawValue), \(bind: email.value), \(bind: now))
            """).run()
    }
}

struct CreateLinkRequests: AsyncMigration {
    var name: String { "0003-link-requests" }

    func prepare(on database: any Database) async throws {
        try await database.schema("link_requests")
            .field("id", .uuid, .identifier(auto: false))
            .field("purpose", .string, .required)
            .field("email", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("link_requests").delete()
    }
}

/// Turns recorded link requests into links and mails, in the background. Each request is taken by
/// one instance only (deleted in the transaction that acts on it). No link is made when the
/// address has no account (or, for confirmation, is already confirmed), nor when the recipient's
/// mail limit would hold the mail back; links already sent stay valid.
struct LinkRequestWorker: Sendable {
    let database: any Database
    let outbox: Outbox
    let templates: MailTemplates
    let clock: any WallClock
    let logger: Logger
    var batchSize = 20

    @discardableResult
    func processDue() async throws -> Int {
        let ids = try await database.sql.raw("SELECT id FROM link_requests ORDER BY created_at LIMIT \(unsafeRaw: String(batchSize))")
            .all().map { try $0.decode(column: "id", as: UUID.self) }
        var handled = 0
        for id in ids where try await process(id) { handled += 1 }
        return handled
    }

    private func process(_ id: UUID) async throws -> Bool {
        let now = clock.now()
        return try await database.write { [outbox, templates] tx in
            guard let row = try await tx.sql.raw("DELETE FROM link_requests WHERE id = \(bind: id) RETURNING purpose, email").first(),
                let purpose = LinkRequests.Purpose(rawValue: try row.decode(column: "purpose", as: String.self)),
                let email = EmailAddress(try row.decode(column: "email", as: String.self)),
                let user = try await UserRecord.find(email: email, on: tx)
            else { return true }
            let userID = try user.userID
            switch purpose {
            case .resetPassword:
                try await outbox.enqueue(to: user.email, now: now, on: tx) {
                    let token = try await OneTimeTokens.issue(.resetPassword, for: userID, now: now, on: tx)
                    return templates.resetPassword(to: user.email, firstName: user.firstName, token: token)
                }
            case .confirmAccount:
                guard !user.isVerified else { return true }
                try await outbox.enqueue(to: user.email, now: now, on: tx) {
                    let token = try await OneTimeTokens.issue(.confirmAccount, for: userID, now: now, on: tx)
                    return templates.confirmAccount(to: user.email, firstName: user.firstName, token: token)
                }
            }
            return true
        }
    }

    /// Runs until cancelled, polling every `interval` when idle.
    func run(every interval: Duration = .milliseconds(250)) async {
        await PollingLoop.run(every: interval, logger: logger, name: "link request poll") { try await processDue() }
    }
}

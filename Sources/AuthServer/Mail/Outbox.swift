import Fluent
import Foundation
import GatehouseDatabase
import GatehouseMail

/// The durable outbox: a mail is a row written in the same transaction as the change that causes it,
/// so it is sent if and only if that change is committed, even across a crash or restart.
struct Outbox: Sendable {
    let rateLimiter: RateLimiter

    /// Queues `message` unless its recipient has had too many mails lately (mail-bombing guard).
    func enqueue(_ message: MailMessage, now: Date, on db: any Database) async throws {
        let verdict = try await rateLimiter.hit("mail:\(message.to)", rule: rateLimiter.limits.mailPerRecipient, now: now, on: db.sql)
        guard verdict == .allowed else { return }
        let record = OutboxMessageRecord()
        record.recipient = message.to
        record.subject = message.subject
        record.textBody = message.textBody
        record.htmlBody = message.htmlBody
        record.createdAt = now
        record.attempts = 0
        record.nextAttemptAt = now
        try await record.create(on: db)
    }
}

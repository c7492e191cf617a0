import Fluent
import Foundation
import GatehouseDatabase
import GatehouseMail

/// The durable outbox: a mail is a row written in the same transaction as the change that causes it,
/// so it is sent if and only if that change is committed, even across a crash or restart. Bodies
/// are sealed at rest (``AtRestSeal``): they carry one-time links.
struct Outbox: Sendable {
    let rateLimiter: RateLimiter
    let seal: AtRestSeal
    var metrics: AuthMetrics?

    /// Queues `message` unless its recipient has had too many mails lately (mail-bombing guard).
    func enqueue(_ message: MailMessage, now: Date, on db: any Database) async throws {
        try await enqueue(to: message.to, now: now, on: db) { message }
    }

    /// Queues the mail `making` builds, only if its recipient may receive one now: when the limit
    /// holds the mail back, `making` never runs, so no link is made that nobody will receive.
    /// Returns whether the mail was queued.
    @discardableResult
    func enqueue(
        to recipient: String, now: Date, on db: any Database, making: () async throws -> MailMessage
    ) async throws -> Bool {
        let verdict = try await rateLimiter.hit("mail:\(recipient)", rule: rateLimiter.limits.mailPerRecipient, now: now, on: db.sql)
        guard verdict == .allowed else {
            metrics?.mail(.heldBack)
            return false
        }
        let message = try await making()
        let record = OutboxMessageRecord()
        record.recipient = message.to
        record.subject = message.subject
        record.textBody = try seal.seal(message.textBody)
        record.htmlBody = try seal.seal(message.htmlBody)
        record.createdAt = now
        record.attempts = 0
        record.nextAttemptAt = now
        try await record.create(on: db)
        metrics?.mail(.queued)
        return true
    }
}

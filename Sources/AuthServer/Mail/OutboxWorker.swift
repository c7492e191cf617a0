import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseMail
import Logging
import SQLKit

/// Delivers the outbox: claims due mails (safely across instances), sends them, retries failures
/// with exponential backoff, and wipes delivered bodies, which carry one-time links.
struct OutboxWorker: Sendable {
    let database: any Database
    let mailer: any Mailer
    let seal: AtRestSeal
    let clock: any WallClock
    let logger: Logger
    var metrics: AuthMetrics?
    var batchSize = 10
    var claimFor: TimeInterval = 120
    var maxAttempts = 12

    /// Sends what is due now; returns how many mails it handled.
    @discardableResult
    func deliverDue() async throws -> Int {
        let now = clock.now()
        let due = try await OutboxMessageRecord.query(on: database)
            .filter(\.$sentAt == nil).filter(\.$failedAt == nil).filter(\.$nextAttemptAt <= now)
            .group(.or) { $0.filter(\.$lockedUntil == nil).filter(\.$lockedUntil <= now) }
            .sort(\.$nextAttemptAt).limit(batchSize).all()
        var handled = 0
        for record in due where try await claim(record, now: now) {
            await deliver(record)
            handled += 1
        }
        return handled
    }

    /// One instance wins each mail: the update only matches while nobody holds it.
    private func claim(_ record: OutboxMessageRecord, now: Date) async throws -> Bool {
        let rows = try await database.sql.raw("""
            UPDATE outbox_messages SET locked_until = \(bind: now + claimFor)
            WHERE id = \(bind: try record.requireID()) AND sent_at IS NULL
              AND (locked_until IS NULL OR locked_until <= \(bind: now)) RETURNING id
            """).all()
        return rows.count == 1
    }

    private func deliver(_ record: OutboxMessageRecord) async {
        do {
            let message = MailMessage(
                to: record.recipient, subject: record.subject, textBody: try seal.open(record.textBody), htmlBody: try seal.open(record.htmlBody))
            try await mailer.send(message)
            metrics?.mail(.sent)
            record.sentAt = clock.now()
            record.textBody = ""
            record.htmlBody = ""
            record.lockedUntil = nil
            try await record.save(on: database)
        } catch {
            record.attempts += 1
            record.lockedUntil = nil
            // Only the error's type: its text could echo message content.
            record.lastError = String(describing: type(of: error))
            let delay = min(pow(2, Double(record.attempts)) * 5, 3600)
            record.nextAttemptAt = clock.now() + delay
            if record.attempts >= maxAttempts {
                // Given up: the links it carried must not outlive it in the database.
                record.failedAt = clock.now()
                record.textBody = ""
                record.htmlBody = ""
                metrics?.mail(.failed)
            } else {
                metrics?.mail(.retried)
            }
            logger.warning("mail delivery failed", metadata: [
                "attempt": "\(record.attempts)", "error": "\(record.lastError ?? "")", "retry_in": "\(Int(delay))s",
            ])
            try? await record.save(on: database)
        }
    }

    /// Runs until cancelled, polling every `interval` when idle.
    func run(every interval: Duration = .milliseconds(500)) async {
        await PollingLoop.run(every: interval, logger: logger, name: "outbox poll") { try await deliverDue() }
    }
}

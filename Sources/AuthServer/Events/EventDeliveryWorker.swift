import AsyncHTTPClient
import Fluent
import Foundation
import GatehouseCore
import Logging
import NIOCore
import NIOHTTP1
import SQLKit

/// Pushes queued Security Event Tokens to their receivers (RFC 8935: `POST`, body the token,
/// `Content-Type: application/secevent+jwt`, any 2xx accepts), claiming each across instances and
/// retrying failures with exponential backoff, as the outbox does for mail.
struct EventDeliveryWorker: Sendable {
    let database: any Database
    /// Sends one request and returns the status; the production one posts with AsyncHTTPClient.
    let send: @Sendable (_ receiver: String, _ token: String) async throws -> UInt
    let clock: any WallClock
    let logger: Logger
    var batchSize = 10
    var claimFor: TimeInterval = 120
    var maxAttempts = 12

    init(database: any Database, client: HTTPClient, clock: any WallClock, logger: Logger) {
        self.init(database: database, clock: clock, logger: logger) { receiver, token in
            var request = HTTPClientRequest(url: receiver)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/secevent+jwt")
            request.headers.add(name: "Accept", value: "application/json")
            request.body = .bytes(ByteBuffer(string: token))
            return try await client.execute(request, timeout: .seconds(10)).status.code
        }
    }

    init(database: any Database, clock: any WallClock, logger: Logger, send: @escaping @Sendable (String, String) async throws -> UInt) {
        self.database = database
        self.send = send
        self.clock = clock
        self.logger = logger
    }

    /// Pushes what is due now; returns how many deliveries it handled.
    @discardableResult
    func deliverDue() async throws -> Int {
        let now = clock.now()
        let due = try await database.sql.raw("""
            SELECT id, receiver, token, attempts FROM event_deliveries
            WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= \(bind: now)
              AND (locked_until IS NULL OR locked_until <= \(bind: now))
            ORDER BY next_attempt_at LIMIT \(bind: batchSize)
            """).all()
        var handled = 0
        for row in due {
            let id = try row.decode(column: "id", as: UUID.self)
            let claimed = try await database.sql.raw("""
                UPDATE event_deliveries SET locked_until = \(bind: now + claimFor)
                WHERE id = \(bind: id) AND delivered_at IS NULL AND (locked_until IS NULL OR locked_until <= \(bind: now))
                RETURNING id
                """).all()
            guard claimed.count == 1 else { continue }
            await deliver(
                id: id, receiver: try row.decode(column: "receiver", as: String.self), token: try row.decode(column: "token", as: String.self),
                attempts: try row.decode(column: "attempts", as: Int.self))
            handled += 1
        }
        return handled
    }

    private func deliver(id: UUID, receiver: String, token: String, attempts: Int) async {
        var failure: String
        do {
            let status = try await send(receiver, token)
            if (200..<300).contains(status) {
                // Delivered: the token is no longer needed.
                try? await database.sql.raw("""
                    UPDATE event_deliveries SET delivered_at = \(bind: clock.now()), token = '', locked_until = NULL WHERE id = \(bind: id)
                    """).run()
                return
            }
            failure = "HTTP \(status)"
        } catch {
            failure = String(describing: type(of: error))
        }
        let attempt = attempts + 1
        let delay = min(pow(2, Double(attempt)) * 5, 3600)
        let givenUp = attempt >= maxAttempts
        logger.warning("security event delivery failed", metadata: [
            "receiver": "\(receiver)", "attempt": "\(attempt)", "error": "\(failure)", "retry_in": "\(givenUp ? 0 : Int(delay))s",
        ])
        try? await database.sql.raw("""
            UPDATE event_deliveries SET attempts = \(bind: attempt), last_error = \(bind: failure), locked_until = NULL,
              next_attempt_at = \(bind: clock.now() + delay), failed_at = \(bind: givenUp ? clock.now() : nil)
            WHERE id = \(bind: id)
            """).run()
    }

    /// Runs until cancelled, polling every `interval` when idle.
    func run(every interval: Duration = .seconds(1)) async {
        await PollingLoop.run(every: interval, logger: logger, name: "event delivery poll") { try await deliverDue() }
    }
}

import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import Logging

/// Forgets what no longer matters, asking each store to prune its own table: spent token ids past
/// their expiry, stale rate-limit windows, sessions long ended, used or expired one-time tokens.
struct Housekeeping: Sendable {
    let database: any Database
    let sessions: SessionStore
    let clock: any WallClock
    let logger: Logger

    func sweep() async throws {
        let now = clock.now()
        try await SpentTokenRecord.prune(now: now, on: database)
        try await RateLimiter(limits: RateLimits()).prune(now: now, on: database.sql)
        try await OneTimeTokens.prune(now: now, on: database)
        try await sessions.prune(now: now, on: database)
    }

    func run(every interval: Duration = .seconds(60)) async {
        while !Task.isCancelled {
            do { try await sweep() } catch {
                logger.error("housekeeping failed", metadata: ["error": "\(String(describing: type(of: error)))"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}

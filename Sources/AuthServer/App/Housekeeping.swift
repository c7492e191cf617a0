import Fluent
import Foundation
import GatehouseCore
import Logging

/// Forgets what no longer matters: spent CSRF ids past their expiry, stale rate-limit windows,
/// sessions long ended, used or expired one-time tokens.
struct Housekeeping: Sendable {
    let database: any Database
    let clock: any WallClock
    let logger: Logger

    func sweep() async throws {
        let now = clock.now()
        try await SpentCSRFTokens(database: database).prune(now: now)
        try await database.sql.raw("DELETE FROM rate_limits WHERE window_start < \(bind: now - 86_400)").run()
        try await OneTimeTokenRecord.query(on: database).filter(\.$expiresAt < now - 86_400).delete()
        try await SessionRecord.query(on: database).filter(\.$expiresAt < now - 86_400).delete()
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

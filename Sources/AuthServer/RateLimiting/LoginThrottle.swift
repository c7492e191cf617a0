import Foundation
import GatehouseCore
import SQLKit

/// The one place that counts attempts to prove an account's password (the login, the current
/// password of change-password, and later second-factor codes), before the proof is checked.
///
/// Three limits, all counted in one statement: per account and client address (stops guessing from
/// one place), per client address (stops one place spraying many accounts), and per account. The
/// last slows guessing from everywhere at once, and would let a stranger lock the owner out, so a
/// browser that has signed in to the account before (a known device) is counted on its own bucket
/// instead: it keeps its way in however many attempts strangers make.
struct LoginThrottle: Sendable {
    let rateLimiter: RateLimiter

    /// Which caller an attempt comes from.
    struct Attempt: Sendable {
        let account: String
        let client: ClientInfo
        let knownDevice: TokenID?

        fileprivate var accountAndAddress: String { "login:\(account)|\(client.rateLimitKey)" }
    }

    /// Counts `attempt`; throws `429 rate_limited` when any limit is exceeded.
    func count(_ attempt: Attempt, now: Date, on sql: any SQLDatabase) async throws {
        let perAddress = ("login-ip:\(attempt.client.rateLimitKey)", rateLimiter.limits.loginPerAddress)
        try await rateLimiter.enforce(buckets(of: attempt) + [perAddress], now: now, on: sql)
    }

    /// After a proven password the caller's counts start afresh, as a lockout counter does: the
    /// owner's own typos never add up, and strangers gain nothing they could time.
    func succeeded(_ attempt: Attempt, on sql: any SQLDatabase) async throws {
        try await rateLimiter.reset(buckets(of: attempt).map(\.bucket), on: sql)
    }

    private func buckets(of attempt: Attempt) -> [(bucket: String, rule: RateLimiter.Rule)] {
        let limits = rateLimiter.limits
        return [
            (attempt.accountAndAddress, limits.loginPerAccountAndAddress),
            attempt.knownDevice.map { ("login-device:\($0.uuid)", limits.loginPerKnownDevice) }
                ?? ("login-account:\(attempt.account)", limits.loginPerAccount),
        ]
    }
}

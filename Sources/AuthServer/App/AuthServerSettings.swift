import Foundation
import GatehouseCore
import GatehouseMail
import Vapor

/// What `makeAuthServer` needs beyond the configuration: effects that tests replace.
public struct AuthServerSettings: Sendable {
    public var configuration: AuthServerConfiguration
    public var environment: Environment
    public var clock: any WallClock
    /// Replaces the configured mail transport (SMTP or outbox folder), e.g. with a recording double.
    public var mailer: (any Mailer)?
    /// Outbox delivery and housekeeping loops; tests turn them off and drive them by hand.
    public var runBackgroundJobs: Bool
    public var passwordHashing: PasswordHashingCost
    /// Whether the outbox-folder mailer also logs each mail's link: only for `gatehouse dev`, since
    /// a one-time link in a log is a credential in a log (CONTRACT "Operations").
    public var logMailLinks = false
    /// Replaces the configured OpenID providers by id (tests put fakes here).
    var identityProviders: [String: any IdentityProvider]?
    /// The limits rate limits count; tests about something else may raise one.
    var rateLimits = RateLimits()

    public init(
        configuration: AuthServerConfiguration = .init(), environment: Environment = .production, clock: any WallClock = SystemClock(),
        mailer: (any Mailer)? = nil, runBackgroundJobs: Bool = true, passwordHashing: PasswordHashingCost = .owasp
    ) {
        self.configuration = configuration
        self.environment = environment
        self.clock = clock
        self.mailer = mailer
        self.runBackgroundJobs = runBackgroundJobs
        self.passwordHashing = passwordHashing
    }
}

/// Argon2id cost. Production uses OWASP's; tests may use the minimum to stay fast.
public enum PasswordHashingCost: Sendable {
    case owasp
    /// The smallest legal Argon2id cost; for tests only.
    case minimalForTests

    var parameters: PasswordHasher.Parameters {
        switch self {
        case .owasp: return .init()
        case .minimalForTests: return .init(memoryKiB: 8, iterations: 1, parallelism: 1)
        }
    }
}

import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseGuard

/// What the Auth Server is configured with. Every value has the contract's default, so a test
/// names only what it changes; the executable fills it from `GATEHOUSE_*` variables.
public struct AuthServerConfiguration: Sendable {
    public var database: DatabaseLocation = .sqlite(path: ".data/gatehouse.sqlite")
    /// The Auth Server's public base URL, and the `iss` of every token.
    public var authURL = "http://localhost:9000"
    public var resourceURL = "http://localhost:8080"
    /// The SPA's origin: the only CORS origin, and the base of every redirect and mailed link to the SPA.
    public var spaURL = "http://localhost:5173"
    public var bindHost = "127.0.0.1"
    public var port = 9000
    public var accessTokenTTL: TimeInterval = 900
    public var refreshTokenTTL: TimeInterval = 1_209_600
    public var sessionMaxAge: TimeInterval = 2_592_000
    public var refreshGrace: TimeInterval = 5
    public var clockLeeway: TimeInterval = 30
    /// `smtp://` or `smtps://`; nil writes mail as `.eml` files to ``outboxDirectory``.
    public var smtpURL: String?
    public var outboxDirectory = ".data/outbox"
    public var mailFrom = "Gatehouse <no-reply@localhost>"
    public var keysDirectory = ".data/keys"
    public var signingAlgorithm: SigningAlgorithm = .es256
    public var cookieSecure = true
    public var cookieDomain: String?
    public var providers: [OIDCProviderConfiguration] = []
    /// Proxies whose `X-Forwarded-For` names the client (`GATEHOUSE_TRUSTED_PROXIES`); none by default.
    public var trustedProxies: TrustedProxies = .none
    /// When set, `GET /actuator/prometheus` needs `Authorization: Bearer` with it (`GATEHOUSE_METRICS_TOKEN`).
    public var metricsToken: String?
    /// Multiplies every rate limit (`GATEHOUSE_RATE_LIMIT_SCALE`, default 1): more for a population
    /// behind one large NAT, or for load and fuzz testing from one machine.
    public var rateLimitScale: Double = 1
    /// Where account events (an account deleted) are pushed as Security Event Tokens
    /// (`GATEHOUSE_EVENT_RECEIVERS`); nil: the Resource Server's `/events`.
    public var eventReceivers: [String]?

    /// The receivers events go to: configured, or the Resource Server by default.
    public var eventReceiverURLs: [String] { eventReceivers ?? ["\(resourceURL)/events"] }

    public init() {}

    /// The longest any signed token can live: a retired key must verify that long after rotation.
    public var longestTokenLifetime: TimeInterval {
        max(sessionMaxAge, refreshTokenTTL, accessTokenTTL) + clockLeeway
    }

    public var cookiePolicy: CookiePolicy {
        CookiePolicy(secure: cookieSecure, accessTokenDomain: cookieDomain)
    }
}

import GatehouseGuard
import Prometheus
import Vapor

/// What the Auth Server counts besides HTTP answers (CONTRACT "Operations"), each counter made up
/// front for every outcome, so a scrape shows zeros rather than nothing and alerts can rely on the
/// series existing.
struct AuthMetrics: Sendable {
    enum LoginOutcome: String, CaseIterable {
        case success, invalidCredentials = "invalid_credentials", emailNotVerified = "email_not_verified"
        case accountDisabled = "account_disabled"
        case rateLimited = "rate_limited", busy
    }

    enum RefreshOutcome: String, CaseIterable {
        case rotated, raced, refused, reuse
    }

    enum MailState: String, CaseIterable {
        /// Written to the outbox.
        case queued
        /// Not written: the recipient had too many mails lately.
        case heldBack = "held_back"
        case sent
        /// A delivery attempt failed; it will be tried again.
        case retried
        /// Given up after the last attempt.
        case failed
    }

    let server: ServerMetrics
    private let logins: [LoginOutcome: Counter]
    private let refreshes: [RefreshOutcome: Counter]
    private let mails: [MailState: Counter]

    init(server: ServerMetrics, hashingPool: HashingPool) {
        self.server = server
        logins = Dictionary(uniqueKeysWithValues: LoginOutcome.allCases.map {
            ($0, server.counter("logins", help: "Password logins, by outcome", labels: [("outcome", $0.rawValue)]))
        })
        refreshes = Dictionary(uniqueKeysWithValues: RefreshOutcome.allCases.map {
            ($0, server.counter("refreshes", help: "Refresh-token presentations, by outcome", labels: [("outcome", $0.rawValue)]))
        })
        mails = Dictionary(uniqueKeysWithValues: MailState.allCases.map {
            ($0, server.counter("mails", help: "Mails, by what happened to them", labels: [("state", $0.rawValue)]))
        })
        server.gauge("password_hash_queue_depth", help: "Password hashes running or waiting for a hashing thread") {
            Double(hashingPool.depth)
        }
    }

    func login(_ outcome: LoginOutcome) { logins[outcome]?.increment() }
    func refresh(_ outcome: RefreshOutcome) { refreshes[outcome]?.increment() }
    func mail(_ state: MailState) { mails[state]?.increment() }

    /// A request refused by a rate limit, by the kind of limit (`login`, `register`, ...).
    func rateLimited(_ kind: String) {
        server.counter("rate_limited_requests", help: "Requests answered 429, by the kind of limit", labels: [("limit", kind)])
            .increment()
    }
}

extension Application {
    private struct AuthMetricsKey: StorageKey {
        typealias Value = AuthMetrics
    }

    /// The Auth Server's metrics, for workers started outside the composition root (tests drive the
    /// outbox by hand).
    var authMetrics: AuthMetrics? {
        get { storage[AuthMetricsKey.self] }
        set { storage[AuthMetricsKey.self] = newValue }
    }
}

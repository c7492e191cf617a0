import Foundation

/// Where a server keeps its data.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    public init(url: String) throws(ConfigurationError) {
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw .invalid("database URL", "sqlite:// needs a path") }
            self = .sqlite(path: path)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            self = .postgres(url: url)
        } else {
            throw .invalid("database URL", "expected sqlite://PATH or postgres://user:pass@host:port/db")
        }
    }
}

/// An OpenID provider configured for federated login.
public struct OIDCProviderConfiguration: Sendable, Equatable {
    public var id: String
    public var name: String
    public var issuer: String
    public var clientID: String
    public var clientSecret: String
}

/// Everything Gatehouse can be configured with, read once at start (see ``init(environment:)``).
public struct Configuration: Sendable {
    public var databaseURL: DatabaseLocation
    public var resourceDatabaseURL: DatabaseLocation
    public var authURL: String
    public var resourceURL: String
    public var spaURL: String
    public var bindHost: String
    public var authPort: Int
    public var resourcePort: Int
    public var webPort: Int
    public var accessTokenTTL: TimeInterval
    public var refreshTokenTTL: TimeInterval
    public var sessionMaxAge: TimeInterval
    public var refreshGrace: TimeInterval
    public var clockLeeway: TimeInterval
    public var smtpURL: String?
    public var outboxDirectory: String
    public var mailFrom: String
    public var keysDirectory: String
    public var signingAlgorithm: SigningAlgorithm
    public var cookieSecure: Bool
    public var cookieDomain: String?
    public var providers: [OIDCProviderConfiguration]
    /// The built SPA that `gatehouse web` serves.
    public var webRoot: String

    /// The longest any signed token can live: a retired key must verify that long after rotation.
    public var longestTokenLifetime: TimeInterval {
        max(sessionMaxAge, refreshTokenTTL, accessTokenTTL) + clockLeeway
    }

    public var cookiePolicy: CookiePolicy {
        CookiePolicy(secure: cookieSecure, accessTokenDomain: cookieDomain)
    }
}

/// A configuration variable that could not be used.
public enum ConfigurationError: Error, Sendable, CustomStringConvertible {
    case invalid(String, String)

    public var description: String {
        switch self {
        case .invalid(let name, let reason): return "\(name): \(reason)"
        }
    }
}

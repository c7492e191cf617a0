import Foundation
import GatehouseDatabase

/// What the example Resource Server is configured with; every value has the contract's default.
public struct ResourceServerConfiguration: Sendable {
    /// Its own store: it never reads the Auth Server's tables.
    public var database: DatabaseLocation = .sqlite(path: ".data/resource.sqlite")
    /// Where tokens come from: their `iss`, and the base of the JWKS URL.
    public var authURL = "http://localhost:9000"
    /// Its own public base URL: access tokens must name it in `aud`.
    public var resourceURL = "http://localhost:8080"
    public var spaURL = "http://localhost:5173"
    public var bindHost = "127.0.0.1"
    public var port = 8080
    public var clockLeeway: TimeInterval = 30
    /// When set, `GET /actuator/prometheus` needs `Authorization: Bearer` with it (`GATEHOUSE_METRICS_TOKEN`).
    public var metricsToken: String?

    public init() {}
}

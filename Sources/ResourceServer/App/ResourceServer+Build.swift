import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseGuard
import Vapor

/// What `makeResourceServer` needs beyond the configuration.
public struct ResourceServerSettings: Sendable {
    public var configuration: ResourceServerConfiguration
    public var environment: Environment
    public var clock: any WallClock
    /// Where verification keys come from; nil fetches the Auth Server's JWKS (`{AUTH}/.well-known/jwks.json`).
    public var keys: (any VerificationKeyProvider)?
    /// Remember verified access tokens until their `exp` (on by default; tests of expiry may turn it off).
    public var cacheVerifiedTokens: Bool

    public init(
        configuration: ResourceServerConfiguration = .init(), environment: Environment = .production, clock: any WallClock = SystemClock(),
        keys: (any VerificationKeyProvider)? = nil, cacheVerifiedTokens: Bool = true
    ) {
        self.configuration = configuration
        self.environment = environment
        self.clock = clock
        self.keys = keys
        self.cacheVerifiedTokens = cacheVerifiedTokens
    }
}

/// Builds the example Resource Server: a business API that trusts Gatehouse through GatehouseGuard
/// alone, exactly as a third-party Vapor app would. It never reads the Auth Server's tables.
public func makeResourceServer(_ settings: ResourceServerSettings) async throws -> Application {
    let config = settings.configuration
    return try await Application.make(settings.environment, host: config.bindHost, port: config.port) { app in
        try await configure(app, settings)
    }
}

private func configure(_ app: Application, _ settings: ResourceServerSettings) async throws {
    let config = settings.configuration
    app.routes.defaultMaxBodySize = "16kb"

    try app.useDatabase(config.database)
    try await app.prepareDatabase(config.database)
    app.migrations.add(ResourceMigrations.all)
    try await app.autoMigrate()

    let keys = settings.keys ?? RemoteJWKS(
        url: "\(config.authURL)/.well-known/jwks.json", client: app.http.client.shared, clock: settings.clock, logger: app.logger)
    let verifier = TokenVerifier(
        keys: keys, issuer: config.authURL, audience: config.resourceURL, leeway: config.clockLeeway, clock: settings.clock)
    let cache = settings.cacheVerifiedTokens ? VerifiedTokenCache(capacity: 10_000, clock: settings.clock) : nil

    let metrics = ServerMetrics()
    app.middleware = .init()
    app.middleware.use(HTTPMetricsMiddleware(metrics: metrics))
    app.middleware.use(CORSMiddleware(configuration: .gatehouse(allowing: config.spaURL)))
    app.middleware.use(SecurityHeadersMiddleware(publicURL: config.resourceURL))

    let api = app.grouped("api").grouped(
        AccessTokenMiddleware(verifier: verifier, cache: cache), CSRFMiddleware(check: CSRFCheck(verifier: verifier)))
    let profiles = ProfileController()
    api.get("profiles", "me", use: profiles.me)
    app.get("api", "profiles", "example", use: profiles.example)
    let forgotten = ForgottenAccounts(database: app.db)
    let projects = ProjectController(database: app.db, clock: settings.clock, forgotten: forgotten)
    api.get("projects", use: projects.list)
    api.post("projects", use: projects.create)
    api.patch("projects", ":id", use: projects.update)
    api.delete("projects", ":id", use: projects.delete)
    api.requireRole("admin").get("admin", "stats", use: AdminStatsController(database: app.db).stats)
    // Security Event Tokens from the Auth Server authenticate themselves; no cookie, no CSRF.
    app.on(.POST, "events", body: .collect(maxSize: "8kb"), use: AccountEventReceiver(verifier: verifier, database: app.db, forgotten: forgotten, clock: settings.clock).receive)
    try app.register(collection: Actuator(database: app.db, role: "resource"))
    try app.register(collection: MetricsEndpoint(metrics: metrics, token: config.metricsToken))
    try app.register(collection: try OpenAPIEndpoint(bundle: .module))

    app.middleware.use(ProblemMiddleware(routes: app.routes))
    app.middleware.use(DatabaseFailureMiddleware())
}

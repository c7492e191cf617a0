import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import ServerSupport
import Vapor

/// Builds a ready Auth Server: database migrated, keys loaded (or generated), routes and background
/// jobs in place. The executable and the tests call this same function.
public func makeAuthServer(_ settings: AuthServerSettings) async throws -> Application {
    let config = settings.configuration
    return try await Application.make(settings.environment, host: config.bindHost, port: config.authPort) { app in
        try await configure(app, settings)
    }
}

private func configure(_ app: Application, _ settings: AuthServerSettings) async throws {
    let config = settings.configuration
    app.routes.defaultMaxBodySize = "16kb"

    try app.useDatabase(config.databaseURL)
    app.migrations.add(Migrations.all)
    try await app.autoMigrate()

    let keys = try KeyStore(
        directory: KeyDirectory(path: config.keysDirectory, algorithm: config.signingAlgorithm, retention: config.longestTokenLifetime),
        clock: settings.clock)
    let verifier = TokenVerifier(keys: keys, issuer: config.authURL, audience: config.authURL, leeway: config.clockLeeway, clock: settings.clock)
    let sessionTokens = SessionTokens(
        issuer: TokenIssuer(keys: keys), authURL: config.authURL, resourceURL: config.resourceURL,
        accessTokenTTL: config.accessTokenTTL, refreshTokenTTL: config.refreshTokenTTL)
    let rateLimiter = RateLimiter()
    let services = AuthServices(
        configuration: config, clock: settings.clock, database: app.db, keys: keys, verifier: verifier,
        sessionTokens: sessionTokens,
        sessions: SessionService(
            database: app.db, tokens: sessionTokens, verifier: verifier, clock: settings.clock,
            sessionMaxAge: config.sessionMaxAge, refreshGrace: config.refreshGrace),
        hasher: try PasswordHasher(parameters: settings.passwordHashing.parameters, threadPool: app.threadPool),
        passwordPolicy: PasswordPolicy(commonPasswords: try CommonPasswords.bundled()),
        templates: MailTemplates(authURL: config.authURL, spaURL: config.spaURL),
        outbox: Outbox(rateLimiter: rateLimiter), rateLimiter: rateLimiter,
        csrfLedger: SpentCSRFTokens(database: app.db))

    app.middleware = .init()
    app.middleware.use(CORSMiddleware(configuration: .gatehouse(allowing: config.spaURL)))
    app.middleware.use(SecurityHeadersMiddleware())
    try AuthRoutes(services: services).register(on: app)
    app.middleware.use(ProblemMiddleware(routes: app.routes))

    if settings.runBackgroundJobs {
        let mailer = try settings.mailer ?? makeMailer(config, app: app)
        app.lifecycle.use(BackgroundJobs(
            outbox: OutboxWorker(database: app.db, mailer: mailer, clock: settings.clock, logger: app.logger),
            housekeeping: Housekeeping(database: app.db, clock: settings.clock, logger: app.logger)))
    }
}

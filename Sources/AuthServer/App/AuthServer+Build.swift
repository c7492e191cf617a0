import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseGuard
import Vapor

/// Builds a ready Auth Server: database migrated, keys loaded (or generated), routes and background
/// jobs in place. The executable and the tests call this same function.
public func makeAuthServer(_ settings: AuthServerSettings) async throws -> Application {
    let config = settings.configuration
    return try await Application.make(settings.environment, host: config.bindHost, port: config.port) { app in
        try await configure(app, settings)
    }
}

/// The composition root: the shared pieces, then every capability (its routes and its migrations).
private func configure(_ app: Application, _ settings: AuthServerSettings) async throws {
    let config = settings.configuration
    let clock = settings.clock
    app.routes.defaultMaxBodySize = "16kb"
    app.trustedProxies = config.trustedProxies

    try app.useDatabase(config.database)
    try await app.prepareDatabase(config.database)

    let keys = try KeyStore(
        directory: KeyDirectory(path: config.keysDirectory, algorithm: config.signingAlgorithm, retention: config.longestTokenLifetime),
        clock: clock)
    let verifier = TokenVerifier(keys: keys, issuer: config.authURL, audience: config.authURL, leeway: config.clockLeeway, clock: clock)
    let issuer = TokenIssuer(keys: keys)
    let tokens = SessionTokens(
        issuer: issuer, authURL: config.authURL, resourceURL: config.resourceURL,
        accessTokenTTL: config.accessTokenTTL, refreshTokenTTL: config.refreshTokenTTL)
    let sessions = SessionStore(tokens: tokens, clock: clock, sessionMaxAge: config.sessionMaxAge, refreshGrace: config.refreshGrace)
    let refreshTokens = RefreshTokenAuthenticator(verifier: verifier)
    let callerSession = CallerSession(refreshTokens: refreshTokens, verifier: verifier)
    let ledger = SpentTokenLedger(leeway: config.clockLeeway)
    let csrf = AuthCSRF(verifier: verifier, callerSession: callerSession, ledger: ledger)
    let signedIn = SignedIn(verifier: verifier, sessions: sessions)
    let recentAuthentication = RecentAuthentication(sessions: sessions, clock: clock)
    let hashingPool = HashingPool()
    let serverMetrics = ServerMetrics()
    let metrics = AuthMetrics(server: serverMetrics, hashingPool: hashingPool)
    app.authMetrics = metrics
    app.lifecycle.use(HashingPoolShutdown(pool: hashingPool))
    let hasher = try PasswordHasher(parameters: settings.passwordHashing.parameters, pool: hashingPool)
    let passwordPolicy = PasswordPolicy(commonPasswords: try CommonPasswords.bundled())
    let rateLimiter = RateLimiter(limits: settings.rateLimits.scaled(by: config.rateLimitScale), metrics: metrics)
    let outboxSeal = try AtRestSeal.load(directory: config.keysDirectory)
    let outbox = Outbox(rateLimiter: rateLimiter, seal: outboxSeal, metrics: metrics)
    let templates = MailTemplates(authURL: config.authURL, spaURL: config.spaURL)
    let cookies = config.cookiePolicy
    let throttle = LoginThrottle(rateLimiter: rateLimiter)
    let devices = KnownDevices(issuer: issuer, verifier: verifier, authURL: config.authURL)
    let completion = SignInCompletion(
        sessions: sessions, refreshTokens: refreshTokens, devices: devices, throttle: throttle, cookies: cookies)
    let secondFactors = SecondFactorStore(seal: try AtRestSeal.load(directory: config.keysDirectory, name: "totp.key"))
    let mfaTokens = MFATokens(issuer: issuer, verifier: verifier, authURL: config.authURL)
    let passkeys = PasskeyStore()
    // Passkeys belong to the SPA's site: its host is the RP ID, its origin the only origin.
    let relyingParty = RelyingParty(id: URL(string: config.spaURL)?.host ?? "localhost", origin: config.spaURL)
    let assertions = PasskeyAssertions(store: passkeys, relyingParty: relyingParty)
    let identityProviders = settings.identityProviders ?? Dictionary(uniqueKeysWithValues: config.providers.map {
        ($0.id, OIDCProvider(configuration: $0, client: app.http.client.shared, clock: clock, leeway: config.clockLeeway) as any IdentityProvider)
    })

    let administration = AccountAdministration(sessions: sessions, clock: clock)
    app.accountAdministration = administration

    app.middleware = .init()
    app.middleware.use(HTTPMetricsMiddleware(metrics: serverMetrics))
    app.middleware.use(CORSMiddleware(configuration: .gatehouse(allowing: config.spaURL)))
    app.middleware.use(SecurityHeadersMiddleware(publicURL: config.authURL))
    let capabilities: [any Capability] = [
        SessionController(
            sessions: sessions, signedIn: signedIn, tokens: tokens, refreshTokens: refreshTokens, callerSession: callerSession, csrf: csrf,
            hasher: hasher, throttle: throttle, devices: devices, completion: completion, secondFactors: secondFactors, passkeys: passkeys,
            assertions: assertions,
            mfaTokens: mfaTokens, cookies: cookies, metrics: metrics, clock: clock),
        SecondFactorController(
            store: secondFactors, mfaTokens: mfaTokens, completion: completion, throttle: throttle, rateLimiter: rateLimiter,
            ledger: ledger, signedIn: signedIn, recentAuthentication: recentAuthentication, csrf: csrf, issuerName: "Gatehouse",
            clock: clock),
        PasskeyController(
            store: passkeys, relyingParty: relyingParty, assertions: assertions, rpName: "Gatehouse", completion: completion, mfaTokens: mfaTokens, ledger: ledger,
            rateLimiter: rateLimiter, signedIn: signedIn, recentAuthentication: recentAuthentication, csrf: csrf, cookies: cookies,
            clock: clock),
        SessionListController(sessions: sessions, signedIn: signedIn, csrf: csrf, cookies: cookies, clock: clock),
        UserController(signedIn: signedIn, secondFactors: secondFactors),
        RegistrationController(
            registration: RegistrationService(hasher: hasher, outbox: outbox, templates: templates, clock: clock),
            passwordPolicy: passwordPolicy, csrf: csrf, rateLimiter: rateLimiter, clock: clock, spaURL: config.spaURL),
        PasswordController(
            sessions: sessions, signedIn: signedIn, recentAuthentication: recentAuthentication, csrf: csrf, hasher: hasher,
            passwordPolicy: passwordPolicy,
            rateLimiter: rateLimiter, throttle: throttle, outbox: outbox, templates: templates, cookies: cookies, clock: clock),
        ProviderListController(providers: config.providers, authURL: config.authURL),
        IdentityController(
            providerNames: identityProviders.mapValues(\.configuration.name),
            signedIn: signedIn, recentAuthentication: recentAuthentication, passkeys: passkeys, csrf: csrf, outbox: outbox, templates: templates,
            clock: clock),
        FederationController(
            providers: identityProviders,
            linker: AccountLinker(sessions: sessions, outbox: outbox, templates: templates, clock: clock),
            sessions: sessions, signedIn: signedIn, recentAuthentication: recentAuthentication, callerSession: callerSession, csrf: csrf,
            issuer: issuer, verifier: verifier,
            ledger: ledger, cookies: cookies, clock: clock, authURL: config.authURL, spaURL: config.spaURL),
        SecurityEventController(signedIn: signedIn),
        AdminController(administration: administration, signedIn: signedIn, csrf: csrf),
        EmailChangeController(
            signedIn: signedIn, recentAuthentication: recentAuthentication, csrf: csrf, outbox: outbox, templates: templates,
            rateLimiter: rateLimiter, clock: clock, spaURL: config.spaURL),
        AccountController(
            signedIn: signedIn, recentAuthentication: recentAuthentication, csrf: csrf, outbox: outbox, templates: templates,
            events: EventDeliveries(issuer: issuer, authURL: config.authURL, receivers: config.eventReceiverURLs), cookies: cookies,
            clock: clock),
        DiscoveryController(keys: keys, issuer: config.authURL),
        Actuator(database: app.db, role: "auth"),
        MetricsEndpoint(metrics: serverMetrics, token: config.metricsToken),
        try OpenAPIEndpoint(bundle: .module),
    ]
    app.migrations.add(Migrations.all(capabilities))
    try await app.autoMigrate()
    for capability in capabilities { try app.register(collection: capability) }
    app.middleware.use(ProblemMiddleware(routes: app.routes))
    app.middleware.use(DatabaseFailureMiddleware())

    if settings.runBackgroundJobs {
        let mailer = try settings.mailer ?? makeMailer(config, logLinks: settings.logMailLinks, app: app)
        app.lifecycle.use(BackgroundJobs(
            outbox: OutboxWorker(database: app.db, mailer: mailer, seal: outboxSeal, clock: clock, logger: app.logger, metrics: metrics),
            linkRequests: LinkRequestWorker(database: app.db, outbox: outbox, templates: templates, clock: clock, logger: app.logger),
            housekeeping: Housekeeping(database: app.db, sessions: sessions, clock: clock, logger: app.logger),
            events: EventDeliveryWorker(database: app.db, client: app.http.client.shared, clock: clock, logger: app.logger)))
    }
}

extension Application {
    private struct AdministrationKey: StorageKey {
        typealias Value = AccountAdministration
    }

    /// The administrative operations on this server's database, for `gatehouse users` and `gatehouse events`.
    public internal(set) var accountAdministration: AccountAdministration {
        get {
            guard let administration = storage[AdministrationKey.self] else { fatalError("not an Auth Server application") }
            return administration
        }
        set { storage[AdministrationKey.self] = newValue }
    }
}

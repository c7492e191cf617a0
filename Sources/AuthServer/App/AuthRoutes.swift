import Foundation
import GatehouseCore
import GatehouseGuard
import ServerSupport
import Vapor

/// Every Auth Server route, with the one CSRF policy and one access-token check each group needs.
struct AuthRoutes: Sendable {
    let services: AuthServices

    func register(on app: Application) throws {
        let sessions = SessionController(services: services)
        let sessionList = SessionListController(services: services)
        let users = UserController(services: services)
        let registration = RegistrationController(services: services)
        let passwords = PasswordController(services: services)
        let discovery = DiscoveryController(services: services)
        let providers = ProviderListController(services: services)

        let auth = app.grouped("auth")
        auth.get("csrf", use: sessions.csrf)
        auth.get("session", use: sessions.bootstrap)
        auth.get("confirm-account", use: registration.confirm)
        auth.get("providers", use: providers.list)

        let anonymous = auth.grouped(csrf(.anonymousOrSession))
        anonymous.post("register", use: registration.register)
        anonymous.post("resend-verification", use: registration.resend)
        anonymous.post("login", use: sessions.login)
        anonymous.post("forgot-password", use: passwords.forgot)
        anonymous.post("reset-password", use: passwords.reset)

        auth.grouped(RefreshCookieRequired(services: services), csrf(.session)).post("refresh", use: sessions.refresh)
        auth.grouped(csrf(.session)).post("logout", use: sessions.logout)

        let authenticated = auth.grouped(AccessTokenMiddleware(verifier: services.verifier), LiveSessionMiddleware(services: services))
        authenticated.get("user", use: users.user)
        authenticated.get("validate", use: users.validate)
        authenticated.get("sessions", use: sessionList.list)
        authenticated.get("identities", use: IdentityListController(services: services).list)
        let authenticatedChanges = authenticated.grouped(csrf(.session))
        authenticatedChanges.delete("sessions", ":id", use: sessionList.end)
        authenticatedChanges.post("sessions", "revoke-others", use: sessionList.revokeOthers)
        authenticatedChanges.post("change-password", use: passwords.change)

        let federation = FederationController(
            services: services,
            providers: Dictionary(uniqueKeysWithValues: services.configuration.providers.map {
                ($0.id, OIDCProvider(configuration: $0, client: app.http.client.shared, clock: services.clock, leeway: services.configuration.clockLeeway))
            }))
        app.get("oauth2", "authorization", ":provider", use: federation.start)
        app.get("login", "oauth2", "code", ":provider", use: federation.callback)

        app.get(".well-known", "jwks.json", use: discovery.jwks)
        app.get(".well-known", "openid-configuration", use: discovery.openIDConfiguration)
        Actuator(database: services.database, role: "auth").register(on: app)
    }

    /// The Auth Server's CSRF middleware: bound to `callerSession(of:)`; anonymous tokens are spent
    /// in the shared ledger.
    private func csrf(_ requirement: CSRFRequirement) -> CSRFMiddleware {
        let services = self.services
        return CSRFMiddleware(
            check: CSRFCheck(verifier: services.verifier), requirement: requirement,
            callerSession: { await services.callerSession(of: $0) },
            spendAnonymous: { id, expiresAt, _ in try await services.csrfLedger.spend(id, expiresAt: expiresAt) })
    }
}

/// Answers a refresh without a genuine, unexpired refresh token with `401 session_expired` before the
/// CSRF check: once a session is over its CSRF token is too, and the client must hear "log in again",
/// not "CSRF failed". Clearing cookies that are already useless is no CSRF risk.
struct RefreshCookieRequired: AsyncMiddleware {
    let services: AuthServices

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard await services.sessions.sessionID(of: request.refreshTokenCookie) != nil else {
            throw AuthError.sessionExpired(clearing: services.cookies.cleared())
        }
        return try await next.respond(to: request)
    }
}

/// `GET /auth/providers`: the federated providers configured, so the SPA shows only those.
struct ProviderListController: Sendable {
    let services: AuthServices

    struct ProviderDTO: Content {
        var id: String
        var name: String
        var authorizationUrl: String
    }

    func list(_ req: Request) async throws -> Response {
        try jsonResponse(services.configuration.providers.map {
            ProviderDTO(id: $0.id, name: $0.name, authorizationUrl: "\(services.configuration.authURL)/oauth2/authorization/\($0.id)")
        })
    }
}

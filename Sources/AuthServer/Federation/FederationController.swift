import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// `GET /oauth2/authorization/{provider}` and `GET /login/oauth2/code/{provider}`: the authorization
/// code flow with PKCE S256, `state` and `nonce` (RFC 9700, OIDC Core §3.1). Every failure ends at
/// `{SPA}/auth/callback?status=error&code=…`; success there with the same cookies as a password login.
/// `POST /auth/identities/{provider}/link` starts the same flow for a signed-in person, whose callback
/// links the provider to their account (`status=linked`) instead of signing in.
struct FederationController: Capability {
    let providers: [String: any IdentityProvider]
    let linker: AccountLinker
    let sessions: SessionStore
    let signedIn: SignedIn
    let recentAuthentication: RecentAuthentication
    let callerSession: CallerSession
    let csrf: AuthCSRF
    let issuer: TokenIssuer
    let verifier: TokenVerifier
    let ledger: SpentTokenLedger
    let cookies: CookiePolicy
    let clock: any WallClock
    let authURL: String
    let spaURL: String

    static let callbackPath = CookiePolicy.federationCallbackPath

    var migrations: [any Migration] { [CreateIdentities()] }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("oauth2", "authorization", ":provider", use: start)
        routes.get("login", "oauth2", "code", ":provider", use: callback)
        signedIn.guarding(routes.grouped("auth", "identities")).grouped(csrf.require(.session), recentAuthentication.required())
            .post(":provider", "link", use: startLink)
    }

    struct LinkStarted: Content {
        var authorizationUrl: String
    }

    func redirectURI(_ provider: String) -> String { "\(authURL)\(Self.callbackPath)/\(provider)" }

    func start(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("provider"), let provider = providers[id] else { throw Problem.notFound }
        let state = FederationStateClaims.start(provider: id, issuer: authURL, now: clock.now())
        do {
            let response = redirect(to: try await provider.authorizationURL(state: state, redirectURI: redirectURI(id)))
            response.setCookie(stateCookie(try issuer.sign(state), maxAge: 600))
            return response
        } catch let error as FederationError {
            return failure(error)
        }
    }

    /// The SPA navigates to the answer's URL; the state cookie set here carries who asked.
    func startLink(_ req: Request) async throws -> Response {
        let principal = try req.principal
        guard let id = req.parameters.get("provider"), let provider = providers[id] else { throw Problem.notFound }
        let state = FederationStateClaims.start(
            provider: id, issuer: authURL, now: clock.now(), linking: (principal.userID, principal.sessionID))
        do {
            let response = try jsonResponse(LinkStarted(
                authorizationUrl: try await provider.authorizationURL(state: state, redirectURI: redirectURI(id))))
            response.setCookie(stateCookie(try issuer.sign(state), maxAge: 600))
            return response
        } catch FederationError.providerUnavailable {
            throw Problem(.serviceUnavailable, code: "provider_unavailable", title: "Provider unavailable",
                          detail: "The provider cannot be reached right now; try again in a minute.", headers: ["Retry-After": "60"])
        } catch is FederationError {
            throw Problem(.serviceUnavailable, code: "provider_error", title: "Provider misconfigured",
                          detail: "The provider's configuration cannot be used right now; try again later.", headers: ["Retry-After": "60"])
        }
    }

    func callback(_ req: Request) async throws -> Response {
        do {
            guard let id = req.parameters.get("provider"), let provider = providers[id] else { throw FederationError.unknownProvider }
            // An error answer logs no one in, so it is reported even when a provider leaves out
            // `state` there (some do); the state cookie is cleared either way.
            if let error = try? req.query.get(String.self, at: "error") {
                throw error == "access_denied" ? FederationError.accessDenied : FederationError.providerError
            }
            let state = try await verifiedState(req, provider: id)
            guard let code = try? req.query.get(String.self, at: "code"), !code.isEmpty else { throw FederationError.providerError }
            let claims = try await provider.exchange(code: code, state: state, redirectURI: redirectURI(id))
            let client = req.client
            if let user = state.link, let session = state.sid {
                guard try await sessions.isLive(session, on: req.db) else { throw FederationError.sessionExpired }
                try await linker.link(claims, provider: provider.configuration, to: user, client: client, on: req.db)
                let response = redirect(to: "\(spaURL)/auth/callback?status=linked&provider=\(id)")
                response.setCookie(stateCookie("", maxAge: 0))
                return response
            }
            let user: UserRecord
            do {
                user = try await linker.signIn(claims, provider: provider.configuration, client: client, on: req.db)
            } catch let error as any DatabaseError where error.isConstraintFailure {
                // A concurrent first sign-in of the same identity (or address) won: now it is known.
                user = try await linker.signIn(claims, provider: provider.configuration, client: client, on: req.db)
            }
            // The refresh cookie is not sent to this path; the access cookie names the earlier session.
            let earlier = await callerSession.of(req)
            let issued = try await sessions.start(for: try user.account, client: client, ending: earlier, on: req.db)
            try await SecurityEvents.record(.login, user: try user.requireID(), session: issued.sessionID.uuid, client: client, now: clock.now(), on: req.db)
            let response = redirect(to: "\(spaURL)/auth/callback?status=success")
            response.setTokenCookies(issued, policy: cookies, now: clock.now())
            response.setCookie(stateCookie("", maxAge: 0))
            return response
        } catch let error as FederationError {
            return failure(error)
        } catch let error as IDTokenRejection {
            return failure(code: error.rawValue)
        } catch AuthError.accountDisabled {
            return failure(code: "account_disabled")
        }
    }

    /// The state cookie must be genuine, unexpired, for this provider, unspent, and match `state`.
    private func verifiedState(_ req: Request, provider: String) async throws -> FederationStateClaims {
        guard let cookie = req.cookie(named: CookiePolicy.federationStateName),
            let claims = try? await verifier.verify(cookie, as: FederationStateClaims.self),
            claims.provider == provider,
            let returned = try? req.query.get(String.self, at: "state"),
            Secrets.constantTimeEquals(returned, claims.state),
            try await ledger.spend(claims.jti, expiresAt: claims.expiresAt, on: req.db)
        else { throw FederationError.invalidState }
        return claims
    }

    private func stateCookie(_ value: String, maxAge: Int) -> CookieSpec {
        cookies.federationState(value, maxAge: maxAge)
    }

    private func failure(_ error: FederationError) -> Response { failure(code: error.rawValue) }

    private func failure(code: String) -> Response {
        let response = redirect(to: "\(spaURL)/auth/callback?status=error&code=\(code)")
        response.setCookie(stateCookie("", maxAge: 0))
        return response
    }

    private func redirect(to url: String) -> Response {
        let response = Response(status: .found)
        response.headers.replaceOrAdd(name: .location, value: url)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

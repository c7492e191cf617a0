import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// `GET /oauth2/authorization/{provider}` and `GET /login/oauth2/code/{provider}`: the authorization
/// code flow with PKCE S256, `state` and `nonce` (RFC 9700, OIDC Core §3.1). Every failure ends at
/// `{SPA}/auth/callback?status=error&code=…`; success there with the same cookies as a password login.
struct FederationController: Sendable {
    let services: AuthServices
    let providers: [String: OIDCProvider]

    static let callbackPath = CookiePolicy.federationCallbackPath

    func redirectURI(_ provider: String) -> String { "\(services.configuration.authURL)\(Self.callbackPath)/\(provider)" }

    func start(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("provider"), let provider = providers[id] else { throw Problem.notFound }
        let state = FederationStateClaims.start(provider: id, issuer: services.configuration.authURL, now: services.clock.now())
        do {
            let url = try await provider.authorizationURL(state: state, redirectURI: redirectURI(id))
            let response = redirect(to: url)
            response.setCookie(stateCookie(try services.sessionTokens.issuer.sign(state), maxAge: 600))
            return response
        } catch let error as FederationError {
            return failure(error)
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
            let user = try await AccountLinker(services: services).account(for: claims, provider: provider.configuration, ip: req.client.ipAddress)
            let tokens = try await services.sessions.start(for: user, client: req.client)
            let response = redirect(to: "\(services.configuration.spaURL)/auth/callback?status=success")
            response.setTokenCookies(tokens, policy: services.cookies, now: services.clock.now())
            response.setCookie(stateCookie("", maxAge: 0))
            return response
        } catch let error as FederationError {
            return failure(error)
        } catch let error as IDTokenRejection {
            return failure(code: error.rawValue)
        }
    }

    /// The state cookie must be genuine, unexpired, for this provider, unspent, and match `state`.
    private func verifiedState(_ req: Request, provider: String) async throws -> FederationStateClaims {
        guard let cookie = req.cookie(named: CookiePolicy.federationStateName),
            let claims = try? await services.verifier.verify(cookie, as: FederationStateClaims.self),
            claims.provider == provider,
            let returned = try? req.query.get(String.self, at: "state"),
            constantTimeEquals(returned, claims.state),
            try await services.csrfLedger.spend(claims.jti, expiresAt: claims.expiresAt)
        else { throw FederationError.invalidState }
        return claims
    }

    private func stateCookie(_ value: String, maxAge: Int) -> CookieSpec {
        services.cookies.federationState(value, maxAge: maxAge)
    }

    private func failure(_ error: FederationError) -> Response { failure(code: error.rawValue) }

    private func failure(code: String) -> Response {
        let response = redirect(to: "\(services.configuration.spaURL)/auth/callback?status=error&code=\(code)")
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

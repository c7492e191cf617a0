import GatehouseCore
import GatehouseGuard
import Vapor

/// The session the caller's own cookies name: its refresh token's, else its access token's (even
/// expired, which still proves which session it belongs to). Binds session CSRF tokens and tells
/// logout what to end; authorises nothing by itself.
struct CallerSession: Sendable {
    let refreshTokens: RefreshTokenAuthenticator
    let verifier: TokenVerifier

    func of(_ request: Request) async -> GatehouseCore.SessionID? {
        if let presented = await refreshTokens.presented(in: request) { return presented.claims.sid }
        if let principal = request.authenticatedPrincipal { return principal.sessionID }
        guard let token = request.cookie(named: CookiePolicy.accessTokenName) else { return nil }
        return try? await verifier.verify(token, as: AccessTokenClaims.self, acceptExpired: true).sid
    }
}

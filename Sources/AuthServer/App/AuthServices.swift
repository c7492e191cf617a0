import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// The Auth Server's services, built once by `makeAuthServer` and handed to the controllers.
struct AuthServices: Sendable {
    let configuration: Configuration
    let clock: any WallClock
    let database: any Database
    let keys: KeyStore
    let verifier: TokenVerifier
    let sessionTokens: SessionTokens
    let sessions: SessionService
    let hasher: PasswordHasher
    let passwordPolicy: PasswordPolicy
    let templates: MailTemplates
    let outbox: Outbox
    let rateLimiter: RateLimiter
    let csrfLedger: SpentCSRFTokens

    var cookies: CookiePolicy { configuration.cookiePolicy }
}

extension AuthServices {
    /// The session the caller's own cookies name: its refresh token's, else its access token's (even
    /// expired, which still proves which session it belongs to). Binds session CSRF tokens and
    /// tells logout what to end; authorises nothing by itself.
    func callerSession(of request: Request) async -> GatehouseCore.SessionID? {
        if let sid = await sessions.sessionID(of: request.refreshTokenCookie) { return sid }
        if let principal = request.authenticatedPrincipal { return principal.sessionID }
        guard let token = request.accessTokenCookie else { return nil }
        return try? await verifier.verify(token, as: AccessTokenClaims.self, acceptExpired: true).sid
    }
}

extension Request {
    /// The caller's user agent and address, as recorded on sessions and security events.
    /// The address is the TCP peer: forwarded headers are spoofable unless a trusted proxy sets them.
    var client: ClientInfo {
        ClientInfo(
            userAgent: headers.first(name: .userAgent) ?? "",
            ipAddress: remoteAddress?.ipAddress ?? "unknown")
    }
}

import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

extension Response {
    /// Sets both token cookies of `tokens` as the cookie policy says.
    func setTokenCookies(_ tokens: IssuedTokens, policy: CookiePolicy, now: Date) {
        setCookie(policy.accessToken(tokens.accessToken, sessionExpiresAt: tokens.sessionExpiresAt, now: now))
        setCookie(policy.refreshToken(tokens.refreshToken, expiresAt: tokens.refreshTokenExpiresAt, now: now))
    }

    func clearTokenCookies(policy: CookiePolicy) {
        policy.cleared().forEach(setCookie)
    }
}

extension Request {
    var refreshTokenCookie: String? { cookie(named: CookiePolicy.refreshTokenName) }
    var accessTokenCookie: String? { cookie(named: CookiePolicy.accessTokenName) }
}

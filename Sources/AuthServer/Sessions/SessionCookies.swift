import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

extension Response {
    /// Sets both token cookies of `tokens` as the cookie policy says.
    func setTokenCookies(_ tokens: IssuedTokens, policy: CookiePolicy, now: Date) {
        setCookie(policy.accessToken(tokens.access.token, sessionExpiresAt: tokens.sessionExpiresAt, now: now))
        setCookie(policy.refreshToken(tokens.refresh.token, expiresAt: tokens.refresh.expiresAt, now: now))
    }

    func clearTokenCookies(policy: CookiePolicy) {
        policy.cleared().forEach(setCookie)
    }
}

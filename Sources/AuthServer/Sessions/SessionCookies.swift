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
    var refreshTokenCookie: String? { cookies[CookiePolicy.refreshTokenName]?.string }
    var accessTokenCookie: String? { cookies[CookiePolicy.accessTokenName]?.string }
}

/// Encodes `value` as a JSON response with `status`, never cached. Keys are sorted so that equal
/// answers are byte-for-byte equal (an enumeration probe must not tell two 202s apart).
func jsonResponse(_ value: some Encodable, status: HTTPResponseStatus = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let response = Response(status: status, body: .init(data: try encoder.encode(value)))
    response.headers.contentType = .json
    response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
    return response
}

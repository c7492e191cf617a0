import Foundation

/// One cookie to set or clear, independent of any web framework.
public struct CookieSpec: Sendable, Equatable {
    public enum SameSite: String, Sendable { case lax = "Lax", strict = "Strict" }

    public var name: String
    public var value: String
    public var path: String
    public var domain: String?
    public var maxAge: Int
    public var secure: Bool
    public var httpOnly: Bool
    public var sameSite: SameSite
}

/// The one cookie policy: names, paths, lifetimes and attributes of both token cookies.
///
/// The access-token cookie lives as long as the session, not the token, so an expired access token
/// still reaches the servers and they can answer "expired" (refresh) instead of "absent" (log in).
/// The refresh token is host-only and scoped to `/auth`, so no resource server ever receives it.
public struct CookiePolicy: Sendable {
    public static let accessTokenName = "access_token"
    public static let refreshTokenName = "refresh_token"
    public static let refreshTokenPath = "/auth"
    public static let federationStateName = "gatehouse_oidc_state"
    public static let federationCallbackPath = "/login/oauth2/code"
    public static let knownDeviceName = "gatehouse_device"
    public static let knownDevicePath = "/auth/login"
    public static let webAuthnBrowserName = "gatehouse_webauthn"

    public let secure: Bool
    public let accessTokenDomain: String?

    public init(secure: Bool, accessTokenDomain: String?) {
        self.secure = secure
        self.accessTokenDomain = accessTokenDomain
    }

    public func accessToken(_ token: String, sessionExpiresAt: Date, now: Date) -> CookieSpec {
        cookie(Self.accessTokenName, token, path: "/", domain: accessTokenDomain, until: sessionExpiresAt, now: now)
    }

    public func refreshToken(_ token: String, expiresAt: Date, now: Date) -> CookieSpec {
        cookie(Self.refreshTokenName, token, path: Self.refreshTokenPath, domain: nil, until: expiresAt, now: now)
    }

    /// The federated-login state, host-only and sent only to the callback. `SameSite=Lax` is enough:
    /// the provider's redirect back is a top-level GET navigation. `Max-Age=0` clears it.
    public func federationState(_ token: String, maxAge: Int) -> CookieSpec {
        cookie(Self.federationStateName, token, path: Self.federationCallbackPath, domain: nil, maxAge: maxAge)
    }

    /// Marks a browser that signed in to an account, so the per-account login throttle never locks
    /// its owner out (OWASP's device cookie). Sent only to the login routes, and never cross-site.
    public func knownDevice(_ token: String, expiresAt: Date, now: Date) -> CookieSpec {
        var spec = cookie(Self.knownDeviceName, token, path: Self.knownDevicePath, domain: nil, until: expiresAt, now: now)
        spec.sameSite = .strict
        return spec
    }

    /// Names the browser a passkey challenge (sign-in or re-authentication) was given to, so an
    /// assertion is accepted only from it. Sent to the `/auth` routes that take one, never cross-site.
    public func webAuthnBrowser(_ id: String, until: Date, now: Date) -> CookieSpec {
        var spec = cookie(Self.webAuthnBrowserName, id, path: Self.refreshTokenPath, domain: nil, until: until, now: now)
        spec.sameSite = .strict
        return spec
    }

    /// Both cookies with `Max-Age=0`, same path and domain as when set.
    public func cleared() -> [CookieSpec] {
        [
            cookie(Self.accessTokenName, "", path: "/", domain: accessTokenDomain, maxAge: 0),
            cookie(Self.refreshTokenName, "", path: Self.refreshTokenPath, domain: nil, maxAge: 0),
        ]
    }

    private func cookie(_ name: String, _ value: String, path: String, domain: String?, until: Date, now: Date) -> CookieSpec {
        cookie(name, value, path: path, domain: domain, maxAge: max(0, Int(until.timeIntervalSince(now).rounded(.down))))
    }

    private func cookie(_ name: String, _ value: String, path: String, domain: String?, maxAge: Int) -> CookieSpec {
        CookieSpec(
            name: name, value: value, path: path, domain: domain, maxAge: maxAge,
            secure: secure, httpOnly: true, sameSite: .lax)
    }
}

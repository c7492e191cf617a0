import GatehouseCore
import Vapor

extension Response {
    /// Sets (or, with `Max-Age=0`, clears) a cookie exactly as the ``CookiePolicy`` describes it.
    public func setCookie(_ spec: CookieSpec) {
        cookies[spec.name] = HTTPCookies.Value(
            string: spec.value, expires: nil, maxAge: spec.maxAge, domain: spec.domain, path: spec.path,
            isSecure: spec.secure, isHTTPOnly: spec.httpOnly,
            sameSite: spec.sameSite == .lax ? .lax : .strict)
    }
}

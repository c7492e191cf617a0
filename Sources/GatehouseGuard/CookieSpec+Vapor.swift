import GatehouseCore
import Vapor

extension Response {
    /// Sets (or, with `Max-Age=0`, clears) a cookie exactly as the ``CookiePolicy`` describes it,
    /// replacing an earlier `Set-Cookie` of the same name on this response.
    ///
    /// Writes the header directly: going through `response.cookies` parses and rewrites every
    /// `Set-Cookie` header on each call, which showed in the refresh profile.
    public func setCookie(_ spec: CookieSpec) {
        let value = HTTPCookies.Value(
            string: spec.value, expires: nil, maxAge: spec.maxAge, domain: spec.domain, path: spec.path,
            isSecure: spec.secure, isHTTPOnly: spec.httpOnly,
            sameSite: spec.sameSite == .lax ? .lax : .strict)
        let prefix = spec.name + "="
        let others = headers[.setCookie].filter { !$0.hasPrefix(prefix) }
        if others.count != headers[.setCookie].count {
            headers.remove(name: .setCookie)
            for header in others { headers.add(name: .setCookie, value: header) }
        }
        headers.add(name: .setCookie, value: value.serialize(name: spec.name))
    }
}

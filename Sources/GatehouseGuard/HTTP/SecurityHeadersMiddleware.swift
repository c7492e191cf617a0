import Vapor

/// Headers every Gatehouse API answer carries; HSTS too when the server's public URL is `https`
/// (served behind a TLS proxy): browsers then never try it over plain HTTP again.
public struct SecurityHeadersMiddleware: Middleware {
    let strictTransportSecurity: Bool

    /// - Parameter publicURL: the server's public base URL; `https` turns HSTS on.
    public init(publicURL: String? = nil) {
        strictTransportSecurity = publicURL?.lowercased().hasPrefix("https://") == true
    }

    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { response in
            response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
            response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
            response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
            if self.strictTransportSecurity {
                response.headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains")
            }
            return response
        }
    }
}

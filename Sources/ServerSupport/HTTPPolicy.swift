import Foundation
import GatehouseCore
import Vapor

extension CORSMiddleware.Configuration {
    /// CORS for the SPA's origin only, with credentials and the CSRF header.
    public static func gatehouse(allowing origin: String) -> Self {
        .init(
            allowedOrigin: .any([origin]),
            allowedMethods: [.GET, .POST, .PATCH, .DELETE, .OPTIONS],
            allowedHeaders: [.accept, .contentType, .init(CSRFCheck.headerName)],
            allowCredentials: true, cacheExpiration: 600,
            // A cross-origin fetch only sees the refresh challenge and the retry delay if exposed.
            exposedHeaders: [.wwwAuthenticate, .retryAfter])
    }
}

/// Headers every Gatehouse API answer carries.
public struct SecurityHeadersMiddleware: Middleware {
    public init() {}

    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { response in
            response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
            response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
            response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
            return response
        }
    }
}

/// Encodes `value` as a JSON response with `status`, never cached. Keys are sorted so that equal
/// answers are byte-for-byte equal (an enumeration probe must not tell two 202s apart).
public func jsonResponse(_ value: some Encodable, status: HTTPResponseStatus = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let response = Response(status: status, body: .init(data: try encoder.encode(value)))
    response.headers.contentType = .json
    response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
    return response
}

/// ISO-8601 UTC with seconds, as timestamps are written on the wire.
public func iso8601(_ date: Date) -> String {
    date.formatted(.iso8601)
}

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

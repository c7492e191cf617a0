import GatehouseGuard
import Vapor

/// Who is asking, as far as the network tells: the address is the one ``TrustedProxies`` finds.
struct ClientInfo: Sendable {
    let userAgent: String
    let ipAddress: String
    /// What per-client rate limits count (an IPv6 client is its /64).
    let rateLimitKey: String
}

extension Request {
    /// The caller's user agent and address, as recorded on sessions and security events.
    var client: ClientInfo {
        let address = clientAddress
        return ClientInfo(
            userAgent: headers.first(name: .userAgent) ?? "", ipAddress: address?.description ?? "unknown",
            rateLimitKey: address?.rateLimitKey ?? "unknown")
    }
}

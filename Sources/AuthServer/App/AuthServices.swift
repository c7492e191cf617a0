import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// The Auth Server's services, built once by `makeAuthServer` and handed to the controllers.
struct AuthServices: Sendable {
    let configuration: Configuration
    let clock: any WallClock
    let database: any Database
    let keys: KeyStore
    let verifier: TokenVerifier
    let sessionTokens: SessionTokens
    let sessions: SessionService
    let hasher: PasswordHasher
    let passwordPolicy: PasswordPolicy
    let templates: MailTemplates
    let outbox: Outbox
    let rateLimiter: RateLimiter
    let csrfLedger: SpentCSRFTokens

    var cookies: CookiePolicy { configuration.cookiePolicy }
}

extension Request {
    /// The caller's user agent and address, as recorded on sessions and security events.
    /// The address is the TCP peer: forwarded headers are spoofable unless a trusted proxy sets them.
    var client: ClientInfo {
        ClientInfo(
            userAgent: headers.first(name: .userAgent) ?? "",
            ipAddress: remoteAddress?.ipAddress ?? "unknown")
    }
}

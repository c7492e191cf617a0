import Fluent
import Foundation
import GatehouseCore
import SQLKit

/// Account events for the applications that keep data by `sub`: each is a signed Security Event
/// Token (RFC 8417) queued per receiver in the transaction that causes it, then pushed by
/// ``EventDeliveryWorker`` (RFC 8935), so an account deleted is an account announced, even across
/// a crash. The token carries nothing but the account id and the event.
struct EventDeliveries: Sendable {
    let issuer: TokenIssuer
    let authURL: String
    let receivers: [String]
    /// How long a token stays valid: longer than every retry of its delivery.
    let lifetime: TimeInterval = 7 * 86_400

    func announce(_ event: String, about user: UserID, now: Date, on db: any Database) async throws {
        for receiver in receivers {
            let token = try issuer.sign(SecurityEventClaims(
                iss: authURL, aud: Self.audience(of: receiver), issuedAt: now, lifetime: lifetime, sub: user, event: event))
            try await db.sql.raw("""
                INSERT INTO event_deliveries (id, receiver, token, created_at, attempts, next_attempt_at)
                VALUES (\(bind: UUID()), \(bind: receiver), \(bind: token), \(bind: now), 0, \(bind: now))
                """).run()
        }
    }

    /// A receiver's audience is its origin: the URL its own verifier expects in `aud`.
    static func audience(of receiver: String) -> String {
        guard let url = URL(string: receiver), let scheme = url.scheme, let host = url.host else { return receiver }
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }
}

struct CreateEventDeliveries: AsyncMigration {
    var name: String { "0011-event-deliveries" }

    func prepare(on database: any Database) async throws {
        try await database.schema("event_deliveries")
            .field("id", .uuid, .identifier(auto: false))
            .field("receiver", .string, .required)
            .field("token", .string, .required)
            .field("created_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("locked_until", .datetime)
            .field("delivered_at", .datetime)
            .field("failed_at", .datetime)
            .field("last_error", .string)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("event_deliveries").delete()
    }
}

import Fluent
import Foundation

/// What a security team is told about, in the `security_events` table.
enum SecurityEventKind: String {
    case refreshTokenReuse = "refresh_token_reuse"
    case passwordChanged = "password_changed"
    case passwordReset = "password_reset"
    case sessionsRevoked = "sessions_revoked"
    case federatedTakeover = "federated_takeover"
}

enum SecurityEvents {
    static func record(_ kind: SecurityEventKind, user: UUID?, session: UUID?, ip: String, now: Date, on db: any Database) async throws {
        let event = SecurityEventRecord()
        event.kind = kind.rawValue
        event.userID = user
        event.sessionID = session
        event.ipAddress = ip
        event.createdAt = now
        try await event.create(on: db)
    }
}

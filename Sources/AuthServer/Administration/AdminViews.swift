import Foundation
import Vapor

/// What the admin API and `gatehouse users` show of an account: the same shape on the wire and in
/// `--json`, so a script written against one works against the other.
public struct AdminAccount: Content, Sendable, Equatable {
    public var id: String
    public var email: String
    public var firstName: String
    public var lastName: String
    public var emailVerified: Bool
    public var disabled: Bool
    public var roles: [String]
    public var createdAt: String
    public var lastLoginAt: String?
}

/// One page of accounts; `nextCursor` continues after the last one (nil: no more).
public struct AdminAccountPage: Content, Sendable {
    public var users: [AdminAccount]
    public var nextCursor: String?

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(users, forKey: .users)
        try container.encode(nextCursor, forKey: .nextCursor)  // `null` on the last page, not absent
    }
}

public struct AdminSession: Content, Sendable {
    public var id: String
    public var createdAt: String
    public var lastUsedAt: String
    public var userAgent: String
    public var ipAddress: String
}

public struct AdminIdentity: Content, Sendable {
    public var id: String
    public var provider: String
    public var email: String?
    public var linkedAt: String
}

public struct AdminPasskey: Content, Sendable {
    public var id: String
    public var name: String
    public var createdAt: String
    public var lastUsedAt: String?
}

public struct AdminSecondFactors: Content, Sendable {
    public var totp: Bool
    public var recoveryCodesLeft: Int
    public var passkeys: [AdminPasskey]
}

/// A security event as administrators see it: whose it is, and who acted when an administrator did.
public struct AdminEvent: Content, Sendable {
    public var id: String
    public var kind: String
    public var at: String
    public var userId: String?
    public var email: String?
    public var actorId: String?
    public var targetId: String?
    public var ipAddress: String
    public var userAgent: String
}

public struct AdminEventPage: Content, Sendable {
    public var events: [AdminEvent]
    public var nextCursor: String?

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(events, forKey: .events)
        try container.encode(nextCursor, forKey: .nextCursor)  // `null` on the last page, not absent
    }
}

/// One account in full: its live sessions, linked providers, second factors and latest events.
public struct AdminAccountDetail: Content, Sendable {
    public var user: AdminAccount
    public var sessions: [AdminSession]
    public var identities: [AdminIdentity]
    public var secondFactors: AdminSecondFactors
    public var events: [AdminEvent]
}

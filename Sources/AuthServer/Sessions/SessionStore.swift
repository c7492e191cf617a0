import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import SQLKit

/// Who is asking, as far as the network tells.
struct ClientInfo: Sendable {
    let userAgent: String
    let ipAddress: String
}

/// Sessions and their refresh-token families: start, rotate with the grace rule, judge reuse, end.
/// The one type that reads or writes the `sessions` table.
struct SessionStore: Sendable {
    let tokens: SessionTokens
    let clock: any WallClock
    let sessionMaxAge: TimeInterval
    let refreshGrace: TimeInterval

    /// The outcome of presenting a refresh token.
    enum RefreshOutcome {
        case rotated(IssuedTokens)
        /// A racing request presented the immediate predecessor within the grace window: same successor.
        case raced(IssuedTokens)
        /// Invalid for this session, expired, revoked, or reused (the session is then revoked).
        case refused
    }

    /// Starts a session for `user`, whose credentials were just proven.
    func start(for user: UserRecord, client: ClientInfo, on db: any Database) async throws -> IssuedTokens {
        let now = clock.now()
        let session = SessionRecord()
        session.id = UUID()
        session.userID = try user.requireID()
        session.createdAt = now
        session.lastUsedAt = now
        session.expiresAt = now + sessionMaxAge
        session.userAgent = String(client.userAgent.prefix(512))
        session.ipAddress = client.ipAddress
        session.currentJTI = UUID()
        session.generation = 0
        let refresh = try tokens.refreshToken(
            user: try user.userID, session: try session.sessionID, jti: TokenID(uuid: session.currentJTI),
            sessionExpiresAt: session.expiresAt, now: now)
        try await session.create(on: db)
        return try tokens.issue(for: user, session: session, refresh: refresh, now: now)
    }

    /// Rotates the family `presented` belongs to: the current token gets a successor (one
    /// compare-and-swap, so of two racing requests exactly one rotates); the immediate predecessor
    /// within the grace window gets that same successor; anything else revokes the session.
    func rotate(_ presented: PresentedRefreshToken, client: ClientInfo, on db: any Database) async throws -> RefreshOutcome {
        let claims = presented.claims
        guard let (session, user) = try await live(claims, on: db) else { return .refused }
        let now = clock.now()
        guard claims.jti.uuid == session.currentJTI else {
            return try await judgePredecessor(presented, session: session, user: user, client: client, now: now, on: db)
        }
        let next = TokenID.random()
        let refresh = try tokens.refreshToken(user: claims.sub, session: claims.sid, jti: next, sessionExpiresAt: session.expiresAt, now: now)
        let sealed = try GraceSeal.seal(refresh, predecessor: presented.token, session: claims.sid.uuid)
        let swapped = try await db.sql.raw("""
            UPDATE sessions SET previous_jti = current_jti, current_jti = \(bind: next.uuid),
              rotated_at = \(bind: now), sealed_successor = \(bind: sealed), last_used_at = \(bind: now),
              generation = generation + 1
            WHERE id = \(bind: claims.sid.uuid) AND current_jti = \(bind: claims.jti.uuid) AND revoked_at IS NULL
            RETURNING id
            """).all()
        if swapped.count == 1 {
            return .rotated(try tokens.issue(for: user, session: session, refresh: refresh, now: now))
        }
        // Another request rotated this token first: judge it again, now as a predecessor.
        guard let (reloaded, _) = try await live(claims, on: db) else { return .refused }
        return try await judgePredecessor(presented, session: reloaded, user: user, client: client, now: now, on: db)
    }

    private func judgePredecessor(
        _ presented: PresentedRefreshToken, session: SessionRecord, user: UserRecord, client: ClientInfo, now: Date, on db: any Database
    ) async throws -> RefreshOutcome {
        let claims = presented.claims
        if let successor = graceSuccessor(presented, of: session, now: now) {
            return .raced(try tokens.issue(for: user, session: session, refresh: successor, now: now))
        }
        // An older token, or the predecessor after the window: theft or a replay. End the whole session.
        try await db.write { tx in
            try await revoke(claims.sid, reason: "refresh_token_reuse", now: now, on: tx)
            try await SecurityEvents.record(.refreshTokenReuse, user: claims.sub.uuid, session: claims.sid.uuid, ip: client.ipAddress, now: now, on: tx)
        }
        return .refused
    }

    /// The successor the predecessor `presented` may still receive, within the grace window.
    private func graceSuccessor(_ presented: PresentedRefreshToken, of session: SessionRecord, now: Date) -> MintedToken? {
        guard presented.claims.jti.uuid == session.previousJTI,
            let rotatedAt = session.rotatedAt, now.timeIntervalSince(rotatedAt) <= refreshGrace,
            let sealed = session.sealedSuccessor
        else { return nil }
        return GraceSeal.open(sealed, predecessor: presented.token, session: presented.claims.sid.uuid)
    }

    /// The session `presented` currently holds (current token, or predecessor in grace), without rotating.
    func current(_ presented: PresentedRefreshToken?, on db: any Database) async throws -> (SessionRecord, UserRecord)? {
        guard let presented, let (session, user) = try await live(presented.claims, on: db) else { return nil }
        let jti = presented.claims.jti.uuid
        let inGrace = jti == session.previousJTI && session.rotatedAt.map { clock.now().timeIntervalSince($0) <= refreshGrace } == true
        guard jti == session.currentJTI || inGrace else { return nil }
        return (session, user)
    }

    /// The live session a refresh token names, with its account, in one query.
    private func live(_ claims: RefreshTokenClaims, on db: any Database) async throws -> (SessionRecord, UserRecord)? {
        guard let session = try await SessionRecord.query(on: db)
            .join(UserRecord.self, on: \SessionRecord.$userID == \UserRecord.$id)
            .filter(\.$id == claims.sid.uuid).filter(\.$userID == claims.sub.uuid)
            .filter(\.$revokedAt == nil).filter(\.$expiresAt > clock.now())
            .first()
        else { return nil }
        return (session, try session.joined(UserRecord.self))
    }

    /// Whether `id` is a live session: not revoked, not past its absolute expiry.
    func isLive(_ id: SessionID, on db: any Database) async throws -> Bool {
        try await SessionRecord.query(on: db)
            .filter(\.$id == id.uuid).filter(\.$revokedAt == nil).filter(\.$expiresAt > clock.now())
            .count() == 1
    }

    /// The live sessions of `user`, most recently used first.
    func live(of user: UserID, on db: any Database) async throws -> [SessionRecord] {
        try await SessionRecord.query(on: db)
            .filter(\.$userID == user.uuid).filter(\.$revokedAt == nil).filter(\.$expiresAt > clock.now())
            .sort(\.$lastUsedAt, .descending).all()
    }

    /// `user`'s own live session `id`, or nil (someone else's, ended, or unknown).
    func live(_ id: SessionID, of user: UserID, on db: any Database) async throws -> SessionRecord? {
        try await SessionRecord.query(on: db)
            .filter(\.$id == id.uuid).filter(\.$userID == user.uuid).filter(\.$revokedAt == nil)
            .first()
    }

    func revoke(_ id: SessionID, reason: String, now: Date, on db: any Database) async throws {
        try await SessionRecord.query(on: db).filter(\.$id == id.uuid).filter(\.$revokedAt == nil)
            .set(\.$revokedAt, to: now).set(\.$revokedReason, to: reason).update()
    }

    /// Ends every live session of `user` except `keeping`; returns how many ended.
    @discardableResult
    func revokeAll(of user: UserID, keeping: SessionID? = nil, reason: String, now: Date, on db: any Database) async throws -> Int {
        var query = SessionRecord.query(on: db).filter(\.$userID == user.uuid).filter(\.$revokedAt == nil).filter(\.$expiresAt > now)
        if let keeping { query = query.filter(\.$id != keeping.uuid) }
        let ids = try await query.all(\.$id)
        guard !ids.isEmpty else { return 0 }
        try await SessionRecord.query(on: db).filter(\.$id ~~ ids)
            .set(\.$revokedAt, to: now).set(\.$revokedReason, to: reason).update()
        return ids.count
    }

    /// Forgets sessions that ended more than a day ago.
    func prune(now: Date, on db: any Database) async throws {
        try await SessionRecord.query(on: db).filter(\.$expiresAt < now - 86_400).delete()
    }
}

import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import SQLKit

/// A live session's refresh-token family as rotation needs it, with its account, read in one query.
struct LiveSession: Sendable {
    let id: SessionID
    let expiresAt: Date
    let currentJTI: UUID
    let previousJTI: UUID?
    let rotatedAt: Date?
    let sealedSuccessor: String?
    let account: Account
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
        /// Not a live session's token: unknown, expired or revoked.
        case refused
        /// A retired token of a live session, outside the grace rule: theft or a replay. The session
        /// has been revoked and the event recorded.
        case reused

        var isReuse: Bool {
            if case .reused = self { return true }
            return false
        }
    }

    /// Starts a session for `account`, whose credentials were just proven. The session the browser
    /// already held (`ending`, named by its genuine cookies) ends: one browser, one session, and a
    /// login forced on someone by a cross-site navigation cannot leave their old session behind.
    func start(
        for account: Account, client: ClientInfo, ending previous: SessionID? = nil, on db: any Database
    ) async throws -> IssuedTokens {
        let now = clock.now()
        if let previous { try await revoke(previous, reason: "superseded", now: now, on: db) }
        let session = SessionID.random()
        let jti = TokenID.random()
        let expiresAt = now + sessionMaxAge
        let refresh = try tokens.refreshToken(user: account.id, session: session, jti: jti, sessionExpiresAt: expiresAt, now: now)
        // Inserted only while the account is enabled: every way of signing in ends here, so this one
        // condition keeps a disabled account out, even one disabled while its sign-in was under way.
        let started = try await db.sql.raw("""
            INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, user_agent, ip_address, current_jti, generation, authenticated_at)
            SELECT \(bind: session.uuid), id, \(bind: now), \(bind: now), \(bind: expiresAt),
              \(bind: String(client.userAgent.prefix(512))), \(bind: client.ipAddress), \(bind: jti.uuid), 0, \(bind: now)
            FROM users WHERE id = \(bind: account.id.uuid) AND disabled_at IS NULL
            RETURNING id
            """).all()
        guard !started.isEmpty else { throw AuthError.accountDisabled }
        return try tokens.issue(for: account, session: session, sessionExpiresAt: expiresAt, refresh: refresh, now: now)
    }

    /// Rotates the family `presented` belongs to: the current token gets a successor (one
    /// compare-and-swap, so of two racing requests exactly one rotates); the immediate predecessor
    /// within the grace window gets that same successor; anything else revokes the session.
    func rotate(_ presented: PresentedRefreshToken, client: ClientInfo, on db: any Database) async throws -> RefreshOutcome {
        if let rotated = try await rotateCurrent(presented, on: db) { return .rotated(rotated) }
        let claims = presented.claims
        guard let session = try await live(claims, on: db) else { return .refused }
        let now = clock.now()
        guard claims.jti.uuid == session.currentJTI else {
            return try await judgePredecessor(presented, session: session, client: client, now: now, on: db)
        }
        // A token without its session's expiry (minted before tokens carried it): mint its successor
        // now that the session is read, then swap.
        let next = TokenID.random()
        let refresh = try tokens.refreshToken(
            user: claims.sub, session: claims.sid, jti: next, sessionExpiresAt: session.expiresAt, now: now)
        if try await swap(presented, to: refresh, jti: next, now: now, on: db) != nil {
            return .rotated(try issue(session, refresh: refresh, now: now))
        }
        // Another request rotated this token first: judge it again, now as a predecessor.
        guard let reloaded = try await live(claims, on: db) else { return .refused }
        return try await judgePredecessor(presented, session: reloaded, client: client, now: now, on: db)
    }

    /// The common case in one statement: `presented` is its live session's current token, so its
    /// successor is minted first and swapped in by the compare-and-swap, which also returns the
    /// account. Nil when the swap does not happen (not current, revoked, expired, raced), or when
    /// the token does not carry its session's expiry; the caller then reads and judges the session.
    private func rotateCurrent(_ presented: PresentedRefreshToken, on db: any Database) async throws -> IssuedTokens? {
        let claims = presented.claims
        guard let sessionExpiresAt = claims.sessionExpiresAt else { return nil }
        let now = clock.now()
        let next = TokenID.random()
        let refresh = try tokens.refreshToken(
            user: claims.sub, session: claims.sid, jti: next, sessionExpiresAt: sessionExpiresAt, now: now)
        guard let row = try await swap(presented, to: refresh, jti: next, now: now, on: db) else { return nil }
        let session = LiveSession(
            id: claims.sid, expiresAt: try row.decode(column: "expires_at", as: Date.self), currentJTI: next.uuid,
            previousJTI: claims.jti.uuid, rotatedAt: now, sealedSuccessor: nil, account: try Account(id: claims.sub, row: row))
        return try issue(session, refresh: refresh, now: now)
    }

    /// The compare-and-swap of a family's current token: only the request that presents the current
    /// token of a live session moves it, so of two racing requests exactly one rotates. The successor
    /// is stored sealed under the predecessor (``GraceSeal``) for the grace rule.
    private func swap(
        _ presented: PresentedRefreshToken, to successor: MintedToken, jti: TokenID, now: Date, on db: any Database
    ) async throws -> (any SQLRow)? {
        let claims = presented.claims
        let sealed = try GraceSeal.seal(successor, predecessor: presented.token, session: claims.sid.uuid)
        return try await db.sql.raw("""
            UPDATE sessions SET previous_jti = current_jti, current_jti = \(bind: jti.uuid),
              rotated_at = \(bind: now), sealed_successor = \(bind: sealed), last_used_at = \(bind: now),
              generation = generation + 1
            WHERE id = \(bind: claims.sid.uuid) AND user_id = \(bind: claims.sub.uuid) AND current_jti = \(bind: claims.jti.uuid)
              AND revoked_at IS NULL AND expires_at > \(bind: now)
              AND NOT EXISTS (SELECT 1 FROM users WHERE users.id = sessions.user_id AND users.disabled_at IS NOT NULL)
            RETURNING expires_at,
              (SELECT email FROM users WHERE users.id = sessions.user_id) AS email,
              (SELECT first_name FROM users WHERE users.id = sessions.user_id) AS first_name,
              (SELECT last_name FROM users WHERE users.id = sessions.user_id) AS last_name,
              (SELECT email_verified_at FROM users WHERE users.id = sessions.user_id) AS email_verified_at,
              (SELECT roles FROM users WHERE users.id = sessions.user_id) AS roles
            """).first()
    }

    private func judgePredecessor(
        _ presented: PresentedRefreshToken, session: LiveSession, client: ClientInfo, now: Date, on db: any Database
    ) async throws -> RefreshOutcome {
        let claims = presented.claims
        if let successor = graceSuccessor(presented, of: session, now: now) {
            return .raced(try issue(session, refresh: successor, now: now))
        }
        // An older token, or the predecessor after the window: theft or a replay. End the whole session.
        try await revokeForReuse(claims, client: client, now: now, on: db)
        return .reused
    }

    private func revokeForReuse(_ claims: RefreshTokenClaims, client: ClientInfo, now: Date, on db: any Database) async throws {
        try await db.write { tx in
            try await revoke(claims.sid, reason: "refresh_token_reuse", now: now, on: tx)
            try await SecurityEvents.record(.refreshTokenReuse, user: claims.sub.uuid, session: claims.sid.uuid, client: client, now: now, on: tx)
        }
    }

    private func issue(_ session: LiveSession, refresh: MintedToken, now: Date) throws -> IssuedTokens {
        try tokens.issue(for: session.account, session: session.id, sessionExpiresAt: session.expiresAt, refresh: refresh, now: now)
    }

    /// The successor the predecessor `presented` may still receive, within the grace window.
    private func graceSuccessor(_ presented: PresentedRefreshToken, of session: LiveSession, now: Date) -> MintedToken? {
        guard presented.claims.jti.uuid == session.previousJTI,
            let rotatedAt = session.rotatedAt, now.timeIntervalSince(rotatedAt) <= refreshGrace,
            let sealed = session.sealedSuccessor
        else { return nil }
        return GraceSeal.open(sealed, predecessor: presented.token, session: presented.claims.sid.uuid)
    }

    /// The session `presented` currently holds, judged exactly as a rotation judges it but without
    /// rotating: the current token, or the predecessor within the grace window, finds it; any other
    /// token of a live session is reuse, which ends the session and is recorded (RFC 9700 §4.14.2).
    func current(_ presented: PresentedRefreshToken?, client: ClientInfo, on db: any Database) async throws -> LiveSession? {
        guard let presented, let session = try await live(presented.claims, on: db) else { return nil }
        let now = clock.now()
        let jti = presented.claims.jti.uuid
        let inGrace = jti == session.previousJTI && session.rotatedAt.map { now.timeIntervalSince($0) <= refreshGrace } == true
        if jti == session.currentJTI || inGrace { return session }
        try await revokeForReuse(presented.claims, client: client, now: now, on: db)
        return nil
    }

    /// The live session a refresh token names, with its account, in one query. Raw SQL on purpose:
    /// this runs on every refresh, and Fluent's model reflection cost more than the query (bench/README.md).
    private func live(_ claims: RefreshTokenClaims, on db: any Database) async throws -> LiveSession? {
        guard let row = try await db.sql.raw("""
            SELECT s.expires_at, s.current_jti, s.previous_jti, s.rotated_at, s.sealed_successor,
              u.email, u.first_name, u.last_name, u.email_verified_at, u.roles
            FROM sessions s JOIN users u ON u.id = s.user_id AND u.disabled_at IS NULL
            WHERE s.id = \(bind: claims.sid.uuid) AND s.user_id = \(bind: claims.sub.uuid)
              AND s.revoked_at IS NULL AND s.expires_at > \(bind: clock.now())
            """).first()
        else { return nil }
        return LiveSession(
            id: claims.sid, expiresAt: try row.decode(column: "expires_at", as: Date.self),
            currentJTI: try row.decode(column: "current_jti", as: UUID.self),
            previousJTI: try row.decode(column: "previous_jti", as: UUID?.self),
            rotatedAt: try row.decode(column: "rotated_at", as: Date?.self),
            sealedSuccessor: try row.decode(column: "sealed_successor", as: String?.self), account: try Account(id: claims.sub, row: row))
    }

    /// When the person last proved who they are in live session `id` (nil: never, or not live).
    func authenticatedAt(_ id: SessionID, on db: any Database) async throws -> Date? {
        try await SessionRecord.query(on: db).filter(\.$id == id.uuid).filter(\.$revokedAt == nil).first()?.authenticatedAt
    }

    /// Records that the person just proved who they are again in session `id`.
    func reauthenticated(_ id: SessionID, now: Date, on db: any Database) async throws {
        try await SessionRecord.query(on: db).filter(\.$id == id.uuid).set(\.$authenticatedAt, to: now).update()
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

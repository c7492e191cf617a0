import Fluent
import Foundation
import GatehouseCore
import SQLKit

/// Who is asking, as far as the network tells.
struct ClientInfo: Sendable {
    let userAgent: String
    let ipAddress: String
}

/// Sessions and their refresh-token chains: start, rotate (with the grace rule), end.
struct SessionService: Sendable {
    let database: any Database
    let tokens: SessionTokens
    let verifier: TokenVerifier
    let clock: any WallClock
    let sessionMaxAge: TimeInterval
    let refreshGrace: TimeInterval

    /// Starts a session for `user` (whose credentials were just proven).
    func start(for user: UserRecord, client: ClientInfo, on db: (any Database)? = nil) async throws -> IssuedTokens {
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
            user: UserID(uuid: session.userID), session: SessionID(uuid: session.id!), jti: TokenID(uuid: session.currentJTI),
            sessionExpiresAt: session.expiresAt, now: now)
        try await session.create(on: db ?? database)
        return try tokens.issue(for: user, session: session, refresh: refresh, now: now)
    }

    /// The outcome of presenting a refresh token.
    enum RefreshOutcome {
        case rotated(IssuedTokens)
        /// A racing request presented the immediate predecessor within the grace window: same successor.
        case raced(IssuedTokens)
        /// Absent, invalid, expired, revoked, or reused (the session is then revoked).
        case refused
    }

    func refresh(_ presented: String?, client: ClientInfo) async throws -> RefreshOutcome {
        guard let (claims, session, user) = try await load(presented) else { return .refused }
        let now = clock.now()
        if claims.jti.uuid == session.currentJTI {
            let next = TokenID.random()
            let refresh = try tokens.refreshToken(
                user: claims.sub, session: claims.sid, jti: next, sessionExpiresAt: session.expiresAt, now: now)
            let sealed = try GraceSeal.seal(refresh.0, predecessor: presented!, session: claims.sid.uuid)
            let swapped = try await database.sql.raw("""
                UPDATE sessions SET previous_jti = current_jti, current_jti = \(bind: next.uuid),
                  rotated_at = \(bind: now), sealed_successor = \(bind: sealed), last_used_at = \(bind: now),
                  generation = generation + 1
                WHERE id = \(bind: claims.sid.uuid) AND current_jti = \(bind: claims.jti.uuid) AND revoked_at IS NULL
                RETURNING id
                """).all()
            if swapped.count == 1 {
                return .rotated(try tokens.issue(for: user, session: session, refresh: refresh, now: now))
            }
            // Another request rotated this token first: judge it again as a predecessor.
            guard let reloaded = try await SessionRecord.find(claims.sid.uuid, on: database) else { return .refused }
            return try await judgePredecessor(presented!, claims: claims, session: reloaded, user: user, client: client, now: now)
        }
        return try await judgePredecessor(presented!, claims: claims, session: session, user: user, client: client, now: now)
    }

    private func judgePredecessor(
        _ presented: String, claims: RefreshTokenClaims, session: SessionRecord, user: UserRecord, client: ClientInfo, now: Date
    ) async throws -> RefreshOutcome {
        if session.revokedAt == nil, claims.jti.uuid == session.previousJTI,
            let rotatedAt = session.rotatedAt, now.timeIntervalSince(rotatedAt) <= refreshGrace,
            let sealed = session.sealedSuccessor,
            let successor = GraceSeal.open(sealed, predecessor: presented, session: claims.sid.uuid),
            let successorClaims = try? await verifier.verify(successor, as: RefreshTokenClaims.self)
        {
            return .raced(try tokens.issue(for: user, session: session, refresh: (successor, successorClaims.expiresAt), now: now))
        }
        if session.revokedAt == nil {
            // An older token, or the predecessor after the window: theft or a replay. End the whole session.
            try await database.transaction { tx in
                try await revoke(sessionID: claims.sid.uuid, reason: "refresh_token_reuse", now: now, on: tx)
                try await SecurityEvents.record(.refreshTokenReuse, user: claims.sub.uuid, session: claims.sid.uuid, ip: client.ipAddress, now: now, on: tx)
            }
        }
        return .refused
    }

    /// The live session and account a refresh token names, whatever its place in the chain.
    private func load(_ presented: String?) async throws -> (RefreshTokenClaims, SessionRecord, UserRecord)? {
        guard let presented, let claims = try? await verifier.verify(presented, as: RefreshTokenClaims.self),
            let session = try await SessionRecord.find(claims.sid.uuid, on: database),
            session.userID == claims.sub.uuid, session.revokedAt == nil, session.expiresAt > clock.now(),
            let user = try await UserRecord.find(session.userID, on: database)
        else { return nil }
        return (claims, session, user)
    }

    /// The session a refresh token currently holds (current token, or predecessor in grace), without rotating.
    func current(_ presented: String?) async throws -> (SessionRecord, UserRecord)? {
        guard let (claims, session, user) = try await load(presented) else { return nil }
        let inGrace = claims.jti.uuid == session.previousJTI
            && session.rotatedAt.map { clock.now().timeIntervalSince($0) <= refreshGrace } == true
        guard claims.jti.uuid == session.currentJTI || inGrace else { return nil }
        return (session, user)
    }

    /// The session id a refresh token names, if genuine (used to bind CSRF tokens before anything else).
    func sessionID(of presented: String?) async -> SessionID? {
        guard let presented else { return nil }
        return try? await verifier.verify(presented, as: RefreshTokenClaims.self).sid
    }

    func revoke(sessionID: UUID, reason: String, now: Date, on db: any Database) async throws {
        try await SessionRecord.query(on: db).filter(\.$id == sessionID).filter(\.$revokedAt == nil)
            .set(\.$revokedAt, to: now).set(\.$revokedReason, to: reason).update()
    }

    /// Ends every live session of `user` except `keeping`; returns how many ended.
    @discardableResult
    func revokeAll(of user: UUID, keeping: UUID? = nil, reason: String, now: Date, on db: any Database) async throws -> Int {
        var query = SessionRecord.query(on: db).filter(\.$userID == user).filter(\.$revokedAt == nil).filter(\.$expiresAt > now)
        if let keeping { query = query.filter(\.$id != keeping) }
        let ids = try await query.all(\.$id)
        guard !ids.isEmpty else { return 0 }
        try await SessionRecord.query(on: db).filter(\.$id ~~ ids)
            .set(\.$revokedAt, to: now).set(\.$revokedReason, to: reason).update()
        return ids.count
    }

    /// The live sessions of `user`, most recently used first.
    func live(of user: UUID) async throws -> [SessionRecord] {
        try await SessionRecord.query(on: database)
            .filter(\.$userID == user).filter(\.$revokedAt == nil).filter(\.$expiresAt > clock.now())
            .sort(\.$lastUsedAt, .descending).all()
    }
}

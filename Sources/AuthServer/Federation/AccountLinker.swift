import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseMail

/// Decides which local account a federated identity signs in to (LESSONS 10: account pre-hijacking).
///
/// - Known (issuer, subject): that account.
/// - New identity whose provider-verified email matches a *verified* account: linked to it.
/// - ... matches an *unverified* account: taken over safely — its password (set by whoever
///   registered the address) is removed and its sessions ended; the address becomes verified.
/// - An unverified provider email never links: `email_not_verified` if the address is taken.
/// - Otherwise a new account with no password (one can be set through forgot password).
struct AccountLinker: Sendable {
    let sessions: SessionStore
    let clock: any WallClock

    func account(for claims: IDTokenClaims, provider: OIDCProviderConfiguration, ip: String, on db: any Database) async throws -> UserRecord {
        let now = clock.now()
        return try await db.write { [sessions] tx in
            if let identity = try await IdentityRecord.query(on: tx)
                .filter(\.$issuer == provider.issuer).filter(\.$subject == claims.sub).first(),
                let user = try await UserRecord.find(identity.userID, on: tx)
            {
                identity.lastLoginAt = now
                try await identity.save(on: tx)
                return user
            }
            guard let email = claims.email.flatMap(EmailAddress.lenient) else { throw FederationError.emailMissing }
            let verifiedByProvider = claims.email_verified == true
            let user: UserRecord
            if let existing = try await UserRecord.find(email: email, on: tx) {
                guard verifiedByProvider else { throw FederationError.emailNotVerified }
                if !existing.isVerified {
                    existing.passwordHash = nil
                    existing.emailVerifiedAt = now
                    existing.updatedAt = now
                    try await existing.save(on: tx)
                    try await sessions.revokeAll(of: try existing.userID, reason: "federated_takeover", now: now, on: tx)
                    try await SecurityEvents.record(.federatedTakeover, user: try existing.requireID(), session: nil, ip: ip, now: now, on: tx)
                }
                user = existing
            } else {
                user = UserRecord()
                user.id = UUID()
                user.email = email.value
                user.passwordHash = nil
                user.emailVerifiedAt = verifiedByProvider ? now : nil
                user.firstName = String((claims.given_name ?? claims.name ?? "").prefix(100))
                user.lastName = String((claims.family_name ?? "").prefix(100))
                user.roles = "user"
                user.createdAt = now
                user.updatedAt = now
                try await user.create(on: tx)
            }
            let identity = IdentityRecord()
            identity.userID = try user.requireID()
            identity.provider = provider.id
            identity.issuer = provider.issuer
            identity.subject = claims.sub
            identity.email = email.value
            identity.createdAt = now
            identity.lastLoginAt = now
            try await identity.create(on: tx)
            return user
        }
    }
}

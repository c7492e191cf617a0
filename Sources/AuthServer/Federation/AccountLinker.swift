import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseMail

/// Decides which local account a federated identity signs in to, and links identities to accounts
/// (LESSONS 10; the pre-hijacking attacks of Sudhodanan & Paverd).
///
/// Signing in:
/// - Known (issuer, subject): that account, if its address is verified.
/// - A new identity needs `email_verified: true`, whether or not the address is taken (so the
///   answer tells nothing about which addresses have accounts): otherwise `email_not_verified`.
/// - ... whose address has no account: a new verified account with no password.
/// - ... whose address has an account: linked automatically only when the provider is trusted to
///   vouch for addresses (`linkByEmail`), otherwise `account_exists` and the person links it from
///   the account page. Linking to a never-confirmed account takes it over: whoever registered the
///   address never proved it, so its password, its other identities and its sessions go.
///
/// Linking (a signed-in person asked for it): the identity joins that account, unless it already
/// belongs to another. Every new link records `provider_linked` and mails the owner.
struct AccountLinker: Sendable {
    let sessions: SessionStore
    let outbox: Outbox
    let templates: MailTemplates
    let clock: any WallClock

    func signIn(_ claims: IDTokenClaims, provider: OIDCProviderConfiguration, client: ClientInfo, on db: any Database) async throws -> UserRecord {
        let now = clock.now()
        return try await db.write { tx in
            if let known = try await identity(claims, provider: provider, on: tx) { return try await signIn(known, now: now, on: tx) }
            guard claims.email_verified == true else { throw FederationError.emailNotVerified }
            guard let email = claims.email.flatMap(EmailAddress.lenient) else { throw FederationError.emailMissing }
            if let existing = try await UserRecord.find(email: email, on: tx) {
                // A concurrent first sign-in of this same identity may have committed between the
                // two lookups (each statement sees the latest commit): look again before judging.
                if let known = try await identity(claims, provider: provider, on: tx) { return try await signIn(known, now: now, on: tx) }
                guard provider.linkByEmail else { throw FederationError.accountExists }
                guard existing.disabledAt == nil else { throw AuthError.accountDisabled }
                if !existing.isVerified { try await takeOver(existing, client: client, now: now, on: tx) }
                try await link(claims, email: email.value, provider: provider, to: existing, client: client, now: now, on: tx)
                return existing
            }
            let user = UserRecord()
            user.id = UUID()
            user.email = email.value
            user.passwordHash = nil
            user.emailVerifiedAt = now
            user.firstName = Self.displayName(claims.given_name ?? claims.name)
            user.lastName = Self.displayName(claims.family_name)
            user.roles = "user"
            user.createdAt = now
            user.updatedAt = now
            try await user.create(on: tx)
            try await create(claims, email: email.value, provider: provider, for: try user.requireID(), now: now, on: tx)
            return user
        }
    }

    /// Links the identity to `user`, who is signed in and asked for it; linking it again is a no-op.
    func link(_ claims: IDTokenClaims, provider: OIDCProviderConfiguration, to user: UserID, client: ClientInfo, on db: any Database) async throws {
        let now = clock.now()
        try await db.write { tx in
            if let identity = try await identity(claims, provider: provider, on: tx) {
                guard identity.userID == user.uuid else { throw FederationError.identityInUse }
                return
            }
            guard let account = try await UserRecord.find(user, on: tx) else { throw FederationError.sessionExpired }
            let email = claims.email.flatMap(EmailAddress.lenient)?.value
            try await link(claims, email: email, provider: provider, to: account, client: client, now: now, on: tx)
        }
    }

    /// A known identity signs in to its account, if that account's address is verified.
    private func signIn(_ identity: IdentityRecord, now: Date, on tx: any Database) async throws -> UserRecord {
        guard let user = try await UserRecord.find(identity.userID, on: tx) else { throw FederationError.providerError }
        guard user.isVerified else { throw FederationError.emailNotVerified }
        guard user.disabledAt == nil else { throw AuthError.accountDisabled }
        identity.lastLoginAt = now
        try await identity.save(on: tx)
        return user
    }

    private func identity(_ claims: IDTokenClaims, provider: OIDCProviderConfiguration, on tx: any Database) async throws -> IdentityRecord? {
        try await IdentityRecord.query(on: tx).filter(\.$issuer == provider.issuer).filter(\.$subject == claims.sub).first()
    }

    /// The address's owner never confirmed it: everything attached before now goes.
    private func takeOver(_ user: UserRecord, client: ClientInfo, now: Date, on tx: any Database) async throws {
        user.passwordHash = nil
        user.emailVerifiedAt = now
        user.updatedAt = now
        try await user.save(on: tx)
        try await IdentityRecord.query(on: tx).filter(\.$userID == user.requireID()).delete()
        try await sessions.revokeAll(of: try user.userID, reason: "federated_takeover", now: now, on: tx)
        try await SecurityEvents.record(.federatedTakeover, user: try user.requireID(), session: nil, client: client, now: now, on: tx)
    }

    private func link(
        _ claims: IDTokenClaims, email: String?, provider: OIDCProviderConfiguration, to user: UserRecord, client: ClientInfo, now: Date,
        on tx: any Database
    ) async throws {
        try await create(claims, email: email, provider: provider, for: try user.requireID(), now: now, on: tx)
        try await SecurityEvents.record(.providerLinked, user: try user.requireID(), session: nil, client: client, now: now, on: tx)
        try await outbox.enqueue(templates.providerLinked(to: user.email, firstName: user.firstName, provider: provider.name), now: now, on: tx)
    }

    private func create(
        _ claims: IDTokenClaims, email: String?, provider: OIDCProviderConfiguration, for user: UUID, now: Date, on tx: any Database
    ) async throws {
        let identity = IdentityRecord()
        identity.userID = user
        identity.provider = provider.id
        identity.issuer = provider.issuer
        identity.subject = claims.sub
        identity.email = email
        identity.createdAt = now
        identity.lastLoginAt = now
        try await identity.create(on: tx)
    }

    /// A provider's name claim as a display name: control and bidirectional-formatting characters
    /// removed (they could make a name display as something else), at most 100 characters.
    static func displayName(_ raw: String?) -> String {
        let kept = (raw ?? "").unicodeScalars.filter { scalar in
            !(CharacterSet.controlCharacters.contains(scalar) || scalar.properties.generalCategory == .format)
        }
        return String(String(String.UnicodeScalarView(kept)).trimmingCharacters(in: .whitespacesAndNewlines).prefix(100))
    }
}

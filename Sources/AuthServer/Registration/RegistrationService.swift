import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseMail

/// A registration that passed validation.
struct NewAccount: Sendable {
    let email: EmailAddress
    let password: String
    let firstName: String
    let lastName: String
    let organization: String?
    let marketingOptIn: Bool
}

/// Registration and email confirmation. Every outcome looks the same from outside: an existing
/// address is answered by a mail to its owner, never by a different response.
struct RegistrationService: Sendable {
    let hasher: PasswordHasher
    let outbox: Outbox
    let templates: MailTemplates
    let clock: any WallClock

    enum ConfirmationStatus: String {
        case success, expired, invalid
    }

    func register(_ account: NewAccount, on db: any Database) async throws {
        // Hash first, whatever happens next, so both branches cost the same.
        let hash = try await hasher.hash(account.password)
        let now = clock.now()
        do {
            try await db.write { tx in
                if let existing = try await UserRecord.find(email: account.email, on: tx) {
                    try await registerAgain(existing, account: account, hash: hash, now: now, on: tx)
                } else {
                    try await create(account, hash: hash, now: now, on: tx)
                }
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // A concurrent registration of the same address won; its owner gets that one's mail.
        }
    }

    private func create(_ account: NewAccount, hash: String, now: Date, on tx: any Database) async throws {
        let user = UserRecord()
        user.id = UUID()
        user.email = account.email.value
        apply(Self.pending(account, hash: hash), now: now, to: user)
        user.roles = "user"
        user.createdAt = now
        try await user.create(on: tx)
        try await sendConfirmation(of: account, hash: hash, to: user, now: now, on: tx)
    }

    /// A verified owner is told someone tried. A never-confirmed account is left as it is: this
    /// registration gets its own link, which activates this registration's password if it is the
    /// one used, and the links already sent keep working.
    private func registerAgain(_ user: UserRecord, account: NewAccount, hash: String, now: Date, on tx: any Database) async throws {
        if user.isVerified {
            try await outbox.enqueue(
                templates.alreadyRegistered(to: user.email, firstName: user.firstName), now: now, on: tx)
            return
        }
        try await sendConfirmation(of: account, hash: hash, to: user, now: now, on: tx)
    }

    private static func pending(_ account: NewAccount, hash: String) -> PendingRegistration {
        PendingRegistration(
            passwordHash: hash, firstName: account.firstName, lastName: account.lastName, organization: account.organization,
            marketingOptIn: account.marketingOptIn)
    }

    /// A registration's password, names and consents, as the account now holds them.
    private func apply(_ registration: PendingRegistration, now: Date, to user: UserRecord) {
        user.passwordHash = registration.passwordHash
        user.firstName = registration.firstName
        user.lastName = registration.lastName
        user.organization = registration.organization
        user.termsAcceptedAt = now
        user.marketingOptInAt = registration.marketingOptIn ? now : nil
        user.updatedAt = now
    }

    private func sendConfirmation(of account: NewAccount, hash: String, to user: UserRecord, now: Date, on tx: any Database) async throws {
        let registration = Self.pending(account, hash: hash)
        let userID = try user.userID
        try await outbox.enqueue(to: user.email, now: now, on: tx) { [templates] in
            let token = try await OneTimeTokens.issue(.confirmAccount, for: userID, registration: registration, now: now, on: tx)
            return templates.confirmAccount(to: user.email, firstName: account.firstName, token: token)
        }
    }

    /// Confirms an address with the registration the link was sent for. Repeating a used link for
    /// a confirmed account still says success (mail scanners fetch links before people click
    /// them); any other link of an address confirmed since is `invalid`.
    func confirm(_ secret: String, on db: any Database) async throws -> ConfirmationStatus {
        let now = clock.now()
        guard let record = try await OneTimeTokens.find(secret, purpose: .confirmAccount, on: db),
            let user = try await UserRecord.find(record.userID, on: db)
        else { return .invalid }
        if record.usedAt != nil { return user.isVerified ? .success : .invalid }
        if user.isVerified { return .invalid }
        if record.expiresAt <= now { return .expired }
        return try await db.write { tx in
            guard try await OneTimeTokens.spend(record, now: now, on: tx) else {
                // A twin request used this very link first (still there, used), or another link won.
                return try await OneTimeTokenRecord.find(record.id, on: tx) != nil ? .success : .invalid
            }
            if let registration = record.pendingRegistration { apply(registration, now: now, to: user) }
            user.emailVerifiedAt = now
            user.updatedAt = now
            try await user.save(on: tx)
            // Nothing attached before the address was proven survives it.
            try await IdentityRecord.query(on: tx).filter(\.$userID == record.userID).delete()
            return .success
        }
    }

    /// Records the request; a link is mailed later only to an unconfirmed account (``LinkRequestWorker``).
    func resendConfirmation(to email: EmailAddress, on db: any Database) async throws {
        try await LinkRequests.record(.confirmAccount, email: email, now: clock.now(), on: db)
    }
}

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
        apply(account, hash: hash, now: now, to: user)
        user.roles = "user"
        user.createdAt = now
        try await user.create(on: tx)
        try await sendConfirmation(to: user, now: now, on: tx)
    }

    /// A verified owner is told someone tried; an unverified (never confirmed) registration is
    /// replaced by this one, and only the newest confirmation link works.
    private func registerAgain(_ user: UserRecord, account: NewAccount, hash: String, now: Date, on tx: any Database) async throws {
        if user.isVerified {
            try await outbox.enqueue(
                templates.alreadyRegistered(to: user.email, firstName: user.firstName), now: now, on: tx)
            return
        }
        apply(account, hash: hash, now: now, to: user)
        try await user.save(on: tx)
        try await sendConfirmation(to: user, now: now, on: tx)
    }

    private func apply(_ account: NewAccount, hash: String, now: Date, to user: UserRecord) {
        user.passwordHash = hash
        user.firstName = account.firstName
        user.lastName = account.lastName
        user.organization = account.organization
        user.termsAcceptedAt = now
        user.marketingOptInAt = account.marketingOptIn ? now : nil
        user.updatedAt = now
    }

    func sendConfirmation(to user: UserRecord, now: Date, on tx: any Database) async throws {
        let token = try await OneTimeTokens.issue(.confirmAccount, for: try user.userID, now: now, on: tx)
        try await outbox.enqueue(
            templates.confirmAccount(to: user.email, firstName: user.firstName, token: token), now: now, on: tx)
    }

    /// Confirms an address. Repeating a used link for a confirmed account still says success:
    /// mail scanners fetch links before people click them.
    func confirm(_ secret: String, on db: any Database) async throws -> ConfirmationStatus {
        let now = clock.now()
        guard let record = try await OneTimeTokens.find(secret, purpose: .confirmAccount, on: db),
            let user = try await UserRecord.find(record.userID, on: db)
        else { return .invalid }
        if record.usedAt != nil { return user.isVerified ? .success : .invalid }
        if record.expiresAt <= now { return .expired }
        return try await db.write { tx in
            guard try await OneTimeTokens.spend(record, now: now, on: tx) else { return user.isVerified ? .success : .invalid }
            if user.emailVerifiedAt == nil {
                user.emailVerifiedAt = now
                user.updatedAt = now
                try await user.save(on: tx)
            }
            return .success
        }
    }

    func resendConfirmation(to email: EmailAddress, on db: any Database) async throws {
        let now = clock.now()
        try await db.write { tx in
            guard let user = try await UserRecord.find(email: email, on: tx), !user.isVerified else { return }
            try await sendConfirmation(to: user, now: now, on: tx)
        }
    }
}

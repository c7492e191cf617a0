import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseGuard
import GatehouseMail
import Vapor

/// Forgot, reset and change password.
struct PasswordController: Capability {
    let sessions: SessionStore
    let signedIn: SignedIn
    let recentAuthentication: RecentAuthentication
    let csrf: AuthCSRF
    let hasher: PasswordHasher
    let passwordPolicy: PasswordPolicy
    let rateLimiter: RateLimiter
    let throttle: LoginThrottle
    let outbox: Outbox
    let templates: MailTemplates
    let cookies: CookiePolicy
    let clock: any WallClock

    func boot(routes: any RoutesBuilder) throws {
        let auth = routes.grouped("auth")
        let anonymous = auth.grouped(csrf.require(.anonymousOrSession))
        anonymous.post("forgot-password", use: forgot)
        anonymous.post("reset-password", use: reset)
        signedIn.guarding(auth).grouped(csrf.require(.session)).post("change-password", use: change)
    }

    struct ResetRequest: Content {
        var token: String?
        var newPassword: String?
    }

    struct ChangeRequest: Content {
        var currentPassword: String?
        var newPassword: String?
    }

    struct Done: Content {
        var status: String
    }

    /// Always `202`, after the same work whatever the address: the request is recorded, and a link
    /// is mailed later only when the address has an account (``LinkRequestWorker``).
    func forgot(_ req: Request) async throws -> Response {
        let email = try EmailAddress.field(req.content.decode(EmailRequest.self).email)
        let now = clock.now()
        try await rateLimiter.enforce([("mail-request:\(req.client.rateLimitKey)", rateLimiter.limits.mailRequestPerAddress)], now: now, on: req.db.sql)
        try await LinkRequests.record(.resetPassword, email: email, now: now, on: req.db)
        return try jsonResponse(
            Accepted(message: "If the address has an account, a reset link is on its way."), status: .accepted)
    }

    /// Sets a new password from an emailed token, ends every session, and clears this browser's cookies.
    func reset(_ req: Request) async throws -> Response {
        let input = try req.content.decode(ResetRequest.self)
        if let problem = passwordPolicy.problem(with: input.newPassword ?? "", field: "newPassword") {
            throw AuthError.validation([problem])
        }
        let now = clock.now()
        try await rateLimiter.enforce([("reset:\(req.client.rateLimitKey)", rateLimiter.limits.resetPerAddress)], now: now, on: req.db.sql)
        guard let secret = input.token, let password = input.newPassword,
            let record = try await OneTimeTokens.find(secret, purpose: .resetPassword, on: req.db),
            record.usedAt == nil, record.expiresAt > now
        else { throw AuthError.invalidToken }
        let hash = try await hasher.hash(password)
        let client = req.client
        try await req.db.write { [sessions, outbox, templates] tx in
            guard try await OneTimeTokens.spend(record, now: now, on: tx),
                let user = try await UserRecord.find(record.userID, on: tx)
            else { throw AuthError.invalidToken }
            user.passwordHash = hash
            // Following the emailed link proves control of the address: nothing attached to a
            // never-confirmed account before now survives it.
            if user.emailVerifiedAt == nil {
                user.emailVerifiedAt = now
                try await OneTimeTokens.discard(.confirmAccount, of: UserID(uuid: record.userID), on: tx)
                try await IdentityRecord.query(on: tx).filter(\.$userID == record.userID).delete()
            }
            user.updatedAt = now
            try await user.save(on: tx)
            try await sessions.revokeAll(of: try user.userID, reason: "password_reset", now: now, on: tx)
            try await SecurityEvents.record(.passwordReset, user: record.userID, session: nil, client: client, now: now, on: tx)
            try await outbox.enqueue(templates.passwordChanged(to: user.email, firstName: user.firstName), now: now, on: tx)
        }
        let response = try jsonResponse(Done(status: "password_reset"))
        response.clearTokenCookies(policy: cookies)
        return response
    }

    /// Changes the password of the caller, ending every other session.
    /// Changes the caller's password, ending every other session. A correct current password is
    /// itself a fresh proof of who they are (so it satisfies "recent authentication" without a
    /// second prompt); an account without a password (federated only) sets its first one with no
    /// current password, which then needs recent authentication.
    func change(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let input = try req.content.decode(ChangeRequest.self)
        guard let user = try await UserRecord.find(principal.userID, on: req.db) else { throw Problem.unauthenticated }
        var errors: [FieldProblem] = []
        let current = input.currentPassword.flatMap { $0.isEmpty ? nil : $0 }
        if current == nil, user.passwordHash != nil {
            errors.append(.init(field: "currentPassword", code: "required", message: "Enter your current password."))
        }
        if let problem = passwordPolicy.problem(with: input.newPassword ?? "", field: "newPassword") {
            errors.append(problem)
        }
        guard errors.isEmpty, let new = input.newPassword else { throw AuthError.validation(errors) }
        let now = clock.now()
        let client = req.client
        if let current {
            // Guessing the current password is guessing the account's password: it counts as a login attempt.
            let attempt = LoginThrottle.Attempt(account: user.email, client: client, knownDevice: nil)
            try await throttle.count(attempt, now: now, on: req.db.sql)
            guard try await hasher.verify(current, against: user.passwordHash) else { throw AuthError.wrongCurrentPassword }
            try await throttle.succeeded(attempt, on: req.db.sql)
        } else {
            guard try await recentAuthentication.isRecent(principal.sessionID, on: req.db) else { throw RecentAuthentication.problem }
        }
        let hash = try await hasher.hash(new)
        try await req.db.write { [sessions, outbox, templates] tx in
            user.passwordHash = hash
            user.updatedAt = now
            try await user.save(on: tx)
            try await sessions.revokeAll(of: principal.userID, keeping: principal.sessionID, reason: "password_changed", now: now, on: tx)
            try await SecurityEvents.record(.passwordChanged, user: principal.userID.uuid, session: principal.sessionID.uuid, client: client, now: now, on: tx)
            try await outbox.enqueue(templates.passwordChanged(to: user.email, firstName: user.firstName), now: now, on: tx)
        }
        return try jsonResponse(Done(status: "password_changed"))
    }
}

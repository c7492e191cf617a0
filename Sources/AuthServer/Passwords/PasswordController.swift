import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import ServerSupport
import Vapor

/// Forgot, reset and change password.
struct PasswordController: Sendable {
    let services: AuthServices

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

    /// Always `202`; a mail goes out only when the address has an account.
    func forgot(_ req: Request) async throws -> Response {
        let email = try RegistrationController.validEmail(req.content.decode(RegistrationController.EmailRequest.self).email)
        let now = services.clock.now()
        try await services.database.transaction { tx in
            guard let user = try await UserRecord.query(on: tx).filter(\.$email == email.value).first() else { return }
            let token = try await OneTimeTokens.issue(.resetPassword, for: try user.requireID(), now: now, on: tx)
            try await services.outbox.enqueue(
                services.templates.resetPassword(to: user.email, firstName: user.firstName, token: token), now: now, on: tx)
        }
        return try jsonResponse(
            RegistrationController.Accepted(message: "If the address has an account, a reset link is on its way."), status: .accepted)
    }

    /// Sets a new password from an emailed token, ends every session, and clears this browser's cookies.
    func reset(_ req: Request) async throws -> Response {
        let input = try req.content.decode(ResetRequest.self)
        if let problem = services.passwordPolicy.problem(with: input.newPassword ?? "", field: "newPassword") {
            throw AuthError.validation([problem])
        }
        let now = services.clock.now()
        guard let secret = input.token, let password = input.newPassword,
            let record = try await OneTimeTokens.find(secret, purpose: .resetPassword, on: services.database),
            record.usedAt == nil, record.expiresAt > now
        else { throw AuthError.invalidToken }
        let hash = try await services.hasher.hash(password)
        try await services.database.transaction { tx in
            guard try await OneTimeTokens.spend(record, now: now, on: tx),
                let user = try await UserRecord.find(record.userID, on: tx)
            else { throw AuthError.invalidToken }
            user.passwordHash = hash
            // Following the emailed link proves control of the address.
            if user.emailVerifiedAt == nil { user.emailVerifiedAt = now }
            user.updatedAt = now
            try await user.save(on: tx)
            try await services.sessions.revokeAll(of: record.userID, reason: "password_reset", now: now, on: tx)
            try await SecurityEvents.record(.passwordReset, user: record.userID, session: nil, ip: req.client.ipAddress, now: now, on: tx)
            try await services.outbox.enqueue(services.templates.passwordChanged(to: user.email, firstName: user.firstName), now: now, on: tx)
        }
        let response = try jsonResponse(Done(status: "password_reset"))
        response.clearTokenCookies(policy: services.cookies)
        return response
    }

    /// Changes the password of the caller, ending every other session.
    func change(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let input = try req.content.decode(ChangeRequest.self)
        var errors: [FieldProblem] = []
        if (input.currentPassword ?? "").isEmpty {
            errors.append(.init(field: "currentPassword", code: "required", message: "Enter your current password."))
        }
        if let problem = services.passwordPolicy.problem(with: input.newPassword ?? "", field: "newPassword") {
            errors.append(problem)
        }
        guard errors.isEmpty, let current = input.currentPassword, let new = input.newPassword else { throw AuthError.validation(errors) }
        guard let user = try await UserRecord.find(principal.userID.uuid, on: services.database) else { throw Problem.unauthenticated }
        guard try await services.hasher.verify(current, against: user.passwordHash) else { throw AuthError.wrongCurrentPassword }
        let hash = try await services.hasher.hash(new)
        let now = services.clock.now()
        try await services.database.transaction { tx in
            user.passwordHash = hash
            user.updatedAt = now
            try await user.save(on: tx)
            try await services.sessions.revokeAll(of: principal.userID.uuid, keeping: principal.sessionID.uuid, reason: "password_changed", now: now, on: tx)
            try await SecurityEvents.record(.passwordChanged, user: principal.userID.uuid, session: principal.sessionID.uuid, ip: req.client.ipAddress, now: now, on: tx)
            try await services.outbox.enqueue(services.templates.passwordChanged(to: user.email, firstName: user.firstName), now: now, on: tx)
        }
        return try jsonResponse(Done(status: "password_changed"))
    }
}

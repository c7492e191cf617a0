import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseGuard
import GatehouseMail
import Vapor

/// `POST /auth/change-email` and the link it mails: the address changes only when the new
/// mailbox proves itself, and the old one is told at once, so a stolen session cannot quietly move
/// the account (and its password resets) to an attacker's address.
struct EmailChangeController: Capability {
    let signedIn: SignedIn
    let recentAuthentication: RecentAuthentication
    let csrf: AuthCSRF
    let outbox: Outbox
    let templates: MailTemplates
    let rateLimiter: RateLimiter
    let clock: any WallClock
    let spaURL: String

    var migrations: [any Migration] { [AddEmailChanges()] }

    func boot(routes: any RoutesBuilder) throws {
        signedIn.guarding(routes.grouped("auth")).grouped(csrf.require(.session), recentAuthentication.required())
            .post("change-email", use: request)
        routes.grouped("auth").get("confirm-email-change", use: confirm)
    }

    struct ChangeRequest: Content {
        var newEmail: String?
    }

    func request(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let newEmail = try EmailAddress.field(try req.content.decode(ChangeRequest.self).newEmail, named: "newEmail")
        let now = clock.now()
        guard let user = try await UserRecord.find(principal.userID, on: req.db) else { throw Problem.unauthenticated }
        guard newEmail.value != user.email else {
            throw AuthError.validation([.init(field: "newEmail", code: "unchanged", message: "This is already your address.")])
        }
        try await rateLimiter.enforce(
            [("email-change:\(principal.userID)", rateLimiter.limits.emailChangePerAccount)], now: now, on: req.db.sql)
        let (outbox, templates) = (self.outbox, self.templates)
        let (oldEmail, firstName, userID) = (user.email, user.firstName, principal.userID)
        try await req.db.write { tx in
            // The same work and the same answer whether or not the new address has an account.
            if try await UserRecord.find(email: newEmail, on: tx) != nil {
                try await outbox.enqueue(templates.emailInUse(to: newEmail.value), now: now, on: tx)
            } else {
                try await outbox.enqueue(to: newEmail.value, now: now, on: tx) {
                    let token = try await OneTimeTokens.issue(.changeEmail, for: userID, newEmail: newEmail, now: now, on: tx)
                    return templates.confirmEmailChange(to: newEmail.value, firstName: firstName, token: token)
                }
            }
            try await outbox.enqueue(templates.emailChangeRequested(to: oldEmail, firstName: firstName, newEmail: newEmail.value), now: now, on: tx)
        }
        return try jsonResponse(
            Accepted(message: "If the address can be used, a confirmation link is on its way to it; your address changes when it is opened."),
            status: .accepted)
    }

    enum Outcome: String {
        case success, expired, invalid, taken
    }

    func confirm(_ req: Request) async throws -> Response {
        let outcome = try await change(token: (try? req.query.get(String.self, at: "token")) ?? "", client: req.client, on: req.db)
        let response = Response(status: .found)
        response.headers.replaceOrAdd(name: .location, value: "\(spaURL)/confirm-email?status=\(outcome.rawValue)")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }

    private func change(token: String, client: ClientInfo, on db: any Database) async throws -> Outcome {
        let now = clock.now()
        guard let record = try await OneTimeTokens.find(token, purpose: .changeEmail, on: db),
            let newEmail = record.newEmail.flatMap(EmailAddress.init),
            let user = try await UserRecord.find(record.userID, on: db)
        else { return .invalid }
        if record.usedAt != nil { return user.email == newEmail.value ? .success : .invalid }
        if record.expiresAt <= now { return .expired }
        do {
            return try await db.write { tx in
                guard try await OneTimeTokens.spend(record, now: now, on: tx) else { return .invalid }
                if try await UserRecord.find(email: newEmail, on: tx) != nil { return .taken }
                user.email = newEmail.value
                user.emailVerifiedAt = user.emailVerifiedAt ?? now
                user.updatedAt = now
                try await user.save(on: tx)
                // Links mailed to the old address must not act on the account any more.
                try await OneTimeTokens.discard(.resetPassword, of: try user.userID, on: tx)
                try await OneTimeTokens.discard(.confirmAccount, of: try user.userID, on: tx)
                try await SecurityEvents.record(.emailChanged, user: record.userID, session: nil, client: client, now: now, on: tx)
                return .success
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            return .taken  // someone registered the address at the same moment
        }
    }
}

struct AddEmailChanges: AsyncMigration {
    var name: String { "0010-email-changes" }

    func prepare(on database: any Database) async throws {
        try await database.schema(OneTimeTokenRecord.schema).field("new_email", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(OneTimeTokenRecord.schema).deleteField("new_email").update()
    }
}

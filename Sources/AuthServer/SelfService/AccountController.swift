import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseGuard
import Vapor

/// `GET /auth/account/export` and `DELETE /auth/account`: the person takes their data, or leaves
/// with all of it.
struct AccountController: Capability {
    let signedIn: SignedIn
    let recentAuthentication: RecentAuthentication
    let csrf: AuthCSRF
    let outbox: Outbox
    let templates: MailTemplates
    let events: EventDeliveries
    let cookies: CookiePolicy
    let clock: any WallClock

    var migrations: [any Migration] { [CreateEventDeliveries()] }

    func boot(routes: any RoutesBuilder) throws {
        let account = signedIn.guarding(routes.grouped("auth", "account"))
        account.get("export", use: export)
        account.grouped(csrf.require(.session), recentAuthentication.required()).delete(use: delete)
    }

    func export(_ req: Request) async throws -> Response {
        let response = try jsonResponse(try await AccountExport.collect(try req.principal.userID, now: clock.now(), on: req.db))
        response.headers.replaceOrAdd(name: .contentDisposition, value: #"attachment; filename="gatehouse-export.json""#)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    func delete(_ req: Request) async throws -> Response {
        let user = try req.principal.userID
        let now = clock.now()
        let (outbox, templates, events) = (self.outbox, self.templates, self.events)
        try await req.db.write { tx in
            guard let record = try await UserRecord.find(user, on: tx) else { return }
            let (email, firstName) = (record.email, record.firstName)
            for table in AccountExport.tables.reversed() {
                let key = AccountExport.ownerKey(of: table.owner, user: user, email: email)
                try await tx.sql.raw("DELETE FROM \(ident: table.name) WHERE \(ident: table.owner) = \(bind: key)").run()
            }
            // After the outbox rows about the person went: the goodbye is the one mail left.
            try await outbox.enqueue(templates.accountDeleted(to: email, firstName: firstName), now: now, on: tx)
            try await events.announce(SecurityEventClaims.accountDeleted, about: user, now: now, on: tx)
        }
        req.logger.notice("account deleted by its owner", metadata: ["user": "\(user)"])
        let response = Response(status: .noContent)
        response.clearTokenCookies(policy: cookies)
        return response
    }
}

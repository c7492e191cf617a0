import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// `POST /events`: where the Auth Server pushes Security Event Tokens (RFC 8935). The token is its
/// own authentication: signed by the Auth Server (the same JWKS as access tokens), `typ`
/// `secevent+jwt`, `aud` this server. On `account-deleted` the projects kept by that `sub` go, and
/// new ones are refused while its last access tokens live (``ForgottenAccounts``).
/// Handling an event twice changes nothing, so a redelivery needs no replay store.
struct AccountEventReceiver: Sendable {
    let verifier: TokenVerifier
    let database: any Database
    let forgotten: ForgottenAccounts
    let clock: any WallClock

    func receive(_ req: Request) async throws -> Response {
        guard let body = req.body.string, body.utf8.count <= 8192,
            let event = try? await verifier.verify(body.trimmingCharacters(in: .whitespacesAndNewlines), as: SecurityEventClaims.self)
        else {
            // RFC 8935 §2.3: an error object names what was wrong.
            return try jsonResponse(["err": "authentication_failed", "description": "not a valid security event token for this server"], status: .badRequest)
        }
        if event.events[SecurityEventClaims.accountDeleted] != nil {
            try await forgotten.forget(event.sub, now: clock.now())
            try await ProjectRecord.query(on: database).filter(\.$ownerID == event.sub.uuid).delete()
            req.logger.notice("forgot a deleted account's data", metadata: ["sub": "\(event.sub)"])
        }
        return Response(status: .accepted)
    }
}

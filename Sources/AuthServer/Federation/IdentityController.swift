import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseGuard
import Vapor

/// `GET /auth/identities` and `DELETE /auth/identities/{id}`: the providers linked to the caller's
/// account, for the account page. (Linking one starts a federated flow: ``FederationController``.)
struct IdentityController: Capability {
    let providerNames: [String: String]
    let signedIn: SignedIn
    let recentAuthentication: RecentAuthentication
    let passkeys: PasskeyStore
    let csrf: AuthCSRF
    let outbox: Outbox
    let templates: MailTemplates
    let clock: any WallClock

    func boot(routes: any RoutesBuilder) throws {
        let identities = signedIn.guarding(routes.grouped("auth", "identities"))
        identities.get(use: list)
        identities.grouped(csrf.require(.session), recentAuthentication.required()).delete(":id", use: unlink)
    }

    struct IdentityDTO: Content {
        var id: String
        var provider: String
        var name: String
        var email: String?
        var linkedAt: String
        var lastLoginAt: String
    }

    func list(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let identities = try await IdentityRecord.query(on: req.db)
            .filter(\.$userID == principal.userID.uuid).sort(\.$createdAt).all()
        return try jsonResponse(try identities.map {
            IdentityDTO(
                id: try $0.requireID().uuidString.lowercased(), provider: $0.provider, name: name(of: $0), email: $0.email,
                linkedAt: iso8601($0.createdAt), lastLoginAt: iso8601($0.lastLoginAt))
        })
    }

    /// Removes one of the caller's identities, unless nothing else would sign them in.
    func unlink(_ req: Request) async throws -> Response {
        let principal = try req.principal
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw Problem.notFound }
        let now = clock.now()
        let client = req.client
        try await req.db.write { tx in
            guard let identity = try await IdentityRecord.query(on: tx)
                .filter(\.$id == id).filter(\.$userID == principal.userID.uuid).first(),
                let user = try await UserRecord.find(principal.userID, on: tx)
            else { throw Problem.notFound }
            let others = try await IdentityRecord.query(on: tx)
                .filter(\.$userID == principal.userID.uuid).filter(\.$id != id).count()
            let hasPasskey = try await passkeys.count(of: principal.userID, on: tx) > 0
            guard user.passwordHash != nil || others > 0 || hasPasskey else { throw Self.lastSignInMethod }
            try await identity.delete(on: tx)
            try await SecurityEvents.record(
                .providerUnlinked, user: principal.userID.uuid, session: principal.sessionID.uuid, client: client, now: now, on: tx)
            try await outbox.enqueue(
                templates.providerUnlinked(to: user.email, firstName: user.firstName, provider: name(of: identity)), now: now, on: tx)
        }
        return Response(status: .noContent)
    }

    private func name(of identity: IdentityRecord) -> String {
        providerNames[identity.provider] ?? identity.provider
    }

    static let lastSignInMethod = Problem(
        .conflict, code: "last_sign_in_method", title: "Last way to sign in",
        detail: "This is the only way you can sign in. Set a password or link another provider first.")
}

import Foundation
import GatehouseCore
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import ResourceServer

/// Roles through GatehouseGuard's `requireRole`, and account events pushed by the Auth Server.
@Suite("Roles and account events")
struct AccountEventTests {
    @Test("GET /api/admin/stats: 401 without a token, 403 forbidden for a user, 200 for an admin")
    func adminRoute() async throws {
        try await withResourceServer { server in
            #expect(try await server.send(.GET, "/api/admin/stats", headers: [:]).status == .unauthorized)
            let user = try await server.send(.GET, "/api/admin/stats", headers: try server.caller().headers)
            #expect(user.status == .forbidden && user.problemCode == "forbidden")
            let admin = try server.caller(roles: ["admin", "user"])
            _ = try await server.send(.POST, "/api/projects", headers: admin.headers, json: ["name": "mine"])
            let stats = try await server.send(.GET, "/api/admin/stats", headers: admin.headers)
            let projects = try stats.json()["projects"] as? Int
            #expect(stats.status == .ok && projects == 1)
        }
    }

    func event(_ server: ResourceTestServer, about user: UserID, audience: String = ResourceTestServer.audience, signer: SigningKey? = nil) throws -> String {
        try TokenIssuer(key: signer ?? server.key).sign(SecurityEventClaims(
            iss: ResourceTestServer.issuer, aud: audience, issuedAt: server.clock.now(), lifetime: 3600, sub: user,
            event: SecurityEventClaims.accountDeleted))
    }

    func push(_ server: ResourceTestServer, _ token: String) async throws -> TestingHTTPResponse {
        try await server.tester.sendRequest(
            .POST, "/events", headers: ["Content-Type": "application/secevent+jwt"], body: ByteBuffer(string: token))
    }

    @Test("an account-deleted event from the Auth Server deletes that person's projects, and only theirs; twice is harmless")
    func accountDeleted() async throws {
        try await withResourceServer { server in
            let leaving = try server.caller()
            let staying = try server.caller()
            for caller in [leaving, leaving, staying] {
                #expect(try await server.send(.POST, "/api/projects", headers: caller.headers, json: ["name": "p"]).status == .created)
            }
            let token = try event(server, about: leaving.user)
            #expect(try await push(server, token).status == .accepted)
            #expect(try await push(server, token).status == .accepted)
            #expect(try await server.send(.GET, "/api/projects", headers: leaving.headers).jsonArray().isEmpty)
            #expect(try await server.send(.GET, "/api/projects", headers: staying.headers).jsonArray().count == 1)
            // The deleted person's access token is still valid for minutes, but leaves nothing behind.
            let late = try await server.send(.POST, "/api/projects", headers: leaving.headers, json: ["name": "after"])
            #expect(late.status == .unauthorized)
            #expect(try await server.send(.POST, "/api/projects", headers: staying.headers, json: ["name": "q"]).status == .created)
        }
    }

    @Test("forged, foreign-audience and access tokens are refused at /events, and delete nothing")
    func refused() async throws {
        try await withResourceServer { server in
            let caller = try server.caller()
            _ = try await server.send(.POST, "/api/projects", headers: caller.headers, json: ["name": "p"])
            let stranger = try SigningKey.generate(.es256)
            for token in [
                try event(server, about: caller.user, signer: stranger),
                try event(server, about: caller.user, audience: "http://elsewhere.example"),
                try server.accessToken(user: caller.user),
                "not a token",
            ] {
                let response = try await push(server, token)
                let err = try response.json()["err"] as? String
                #expect(response.status == .badRequest && err == "authentication_failed")
            }
            #expect(try await server.send(.GET, "/api/projects", headers: caller.headers).jsonArray().count == 1)
        }
    }
}

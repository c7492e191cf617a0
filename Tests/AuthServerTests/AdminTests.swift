import Foundation
import GatehouseCore
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

/// Roles, disabled accounts and the admin API (CONTRACT "Administration").
@Suite("Administration", .onEveryDatabase)
struct AdminTests {
    @Test("the admin API needs the admin role: 401 without a token, 403 for a user, 200 for an admin")
    func onlyAdmins() async throws {
        try await withServer { server in
            #expect(try await server.browser().send(.GET, "/admin/users").status == .unauthorized)
            let user = try await server.login(try await server.makeUser())
            for path in ["/admin/users", "/admin/events", "/admin/users/\(UUID())"] {
                let refused = try await user.send(.GET, path)
                #expect(refused.status == .forbidden && refused.problemCode == "forbidden", "\(path)")
            }
            #expect(try await user.send(.POST, "/admin/users/\(UUID())/logout", csrf: .held).problemCode == "forbidden")
            let admin = try await server.admin()
            #expect(try await admin.send(.GET, "/admin/users").status == .ok)
        }
    }

    @Test("a role taken away in the database stops the admin API at once, before the token expires")
    func roleCheckedInDatabase() async throws {
        try await withServer { server in
            let (admin, email) = try await server.adminWithEmail()
            #expect(try await admin.send(.GET, "/admin/users").status == .ok)
            try await server.setRoles(email, [.user])
            #expect(try await admin.send(.GET, "/admin/users").problemCode == "forbidden")
        }
    }

    @Test("search by email or name, in pages by cursor")
    func search() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            for index in 0..<55 { _ = try await server.makeUserQuickly("page-\(String(format: "%02d", index))@example.com") }
            let first = try await admin.send(.GET, "/admin/users?query=PAGE-")
            let firstBody = try first.json()
            let users = try #require(firstBody["users"] as? [[String: Any]])
            #expect(users.count == 50)
            #expect(users.first?["email"] as? String == "page-00@example.com")
            let cursor = try #require(firstBody["nextCursor"] as? String)
            let second = try await admin.send(.GET, "/admin/users?query=page-&cursor=\(cursor)").json()
            let rest = try #require(second["users"] as? [[String: Any]])
            #expect(rest.map { $0["email"] as? String } == (50..<55).map { "page-\($0)@example.com" })
            #expect(second["nextCursor"] is NSNull)
            #expect(try await admin.send(.GET, "/admin/users?cursor=nonsense").problemCode == "validation_failed")
            // LIKE's wildcards are taken literally.
            #expect((try await admin.send(.GET, "/admin/users?query=%25").json()["users"] as? [Any])?.isEmpty == true)
            let byName = try await admin.send(.GET, "/admin/users?query=ann").json()
            #expect((byName["users"] as? [Any])?.count == 50 && byName["nextCursor"] is String, "every test account is Ann Lee")
        }
    }

    @Test("disabling ends every session, refuses refresh (session_expired), login and federation; enabling lets the person back")
    func disable() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let email = try await server.makeUser()
            let person = try await server.login(email)
            let id = try await server.userID(email)
            let disabled = try await admin.send(.PATCH, "/admin/users/\(id)", json: ["disabled": true], csrf: .held)
            let disabledNow = try disabled.json()["disabled"] as? Bool
            #expect(disabled.status == .ok && disabledNow == true)

            let refresh = try await person.send(.POST, "/auth/refresh", csrf: .held)
            #expect(refresh.status == .unauthorized && refresh.problemCode == "session_expired")
            let login = try await server.browser().send(.POST, "/auth/login", json: ["email": email, "password": TestServer.password], csrf: .anonymous)
            #expect(login.status == .forbidden && login.problemCode == "account_disabled")
            let attempts = try await admin.send(.GET, "/admin/events?user=\(id)&kind=login_failed").json()["events"] as? [Any]
            #expect(attempts?.count == 1, "a correct password for a disabled account is a failed sign-in on record")
            let wrong = try await server.browser().send(.POST, "/auth/login", json: ["email": email, "password": "not it"], csrf: .anonymous)
            #expect(wrong.problemCode == "invalid_credentials", "a wrong password says nothing about the account")

            #expect(try await admin.send(.PATCH, "/admin/users/\(id)", json: ["disabled": false], csrf: .held).status == .ok)
            _ = try await server.login(email)
            let kinds = try await server.notableEvents()
            #expect(kinds.filter { $0 == "account_disabled" }.count == 2, "one on the account, one on the administrator")
            #expect(kinds.filter { $0 == "account_enabled" }.count == 2)
        }
    }

    @Test("a disabled account cannot federate, by a linked identity or by its verified address")
    func disabledCannotFederate() async throws {
        try await withFederation(linkByEmail: true) { server, provider in
            let email = try await server.makeUser()
            let linkedEmail = "fed-\(UUID().uuidString.prefix(6).lowercased())@example.com"
            #expect(try await server.federate(try server.browser(), code: provider.person(email: linkedEmail)) == FederationTests.success)
            for address in [email, linkedEmail] {
                let id = UserID(uuid: try #require(UUID(uuidString: try await server.userID(address))))
                _ = try await server.app.accountAdministration.setDisabled(true, of: id, by: .console, on: server.app.db)
                let outcome = try await server.federate(try server.browser(), code: provider.person(email: address))
                #expect(outcome == "http://localhost:5173/auth/callback?status=error&code=account_disabled", "\(address)")
            }
            #expect(try await server.app.accountAdministration.detail(
                UserID(uuid: try #require(UUID(uuidString: try await server.userID(email)))), on: server.app.db).identities.isEmpty,
                "nothing was linked to the disabled account")
        }
    }

    @Test("changes need the session CSRF token; bad roles are a validation error; an admin cannot lock themselves out")
    func changes() async throws {
        try await withServer { server in
            let (admin, adminEmail) = try await server.adminWithEmail()
            let id = try await server.userID(try await server.makeUser())
            #expect(try await admin.send(.PATCH, "/admin/users/\(id)", json: ["roles": ["user", "auditor"]]).problemCode == "csrf_invalid")
            let bad = try await admin.send(.PATCH, "/admin/users/\(id)", json: ["roles": ["Not A Role"]], csrf: .held)
            #expect(bad.status == .badRequest && bad.problemCode == "validation_failed")
            let roles = try await admin.send(.PATCH, "/admin/users/\(id)", json: ["roles": ["auditor"]], csrf: .held).json()["roles"] as? [String]
            #expect(roles == ["auditor", "user"], "user always stays")

            let me = try await server.userID(adminEmail)
            let own = try await admin.send(.PATCH, "/admin/users/\(me)", json: ["roles": ["user"], "disabled": false], csrf: .held)
            #expect(own.status == .conflict && own.problemCode == "self_lockout")
            #expect(try await admin.send(.PATCH, "/admin/users/\(me)", json: ["disabled": true], csrf: .held).problemCode == "self_lockout")
            #expect(try await admin.send(.GET, "/admin/users").status == .ok, "nothing changed")
            #expect(try await admin.send(.PATCH, "/admin/users/\(UUID())", json: ["disabled": true], csrf: .held).status == .notFound)
            #expect(try await admin.send(.PATCH, "/admin/users/\(id)", json: ["roles": "admin"], csrf: .held).problemCode == "bad_request")
        }
    }

    @Test("roles reach the access token at the next refresh")
    func rolesInToken() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let email = try await server.makeUser()
            let person = try await server.login(email)
            _ = try await admin.send(.PATCH, "/admin/users/\(try await server.userID(email))", json: ["roles": ["editor"]], csrf: .held)
            #expect(try await person.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            #expect(try await person.send(.GET, "/auth/user").json()["roles"] as? [String] == ["editor", "user"])
        }
    }

    @Test("an account in full; ending its sessions; events by user and kind, in pages")
    func detailLogoutEvents() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let email = try await server.makeUser()
            let person = try await server.login(email)
            _ = try await server.login(email)
            let id = try await server.userID(email)
            let detail = try await admin.send(.GET, "/admin/users/\(id)").json()
            #expect((detail["sessions"] as? [Any])?.count == 2)
            #expect((detail["user"] as? [String: Any])?["email"] as? String == email)
            #expect((detail["secondFactors"] as? [String: Any])?["totp"] as? Bool == false)
            #expect((detail["events"] as? [[String: Any]])?.first?["kind"] as? String == "login")

            #expect(try await admin.send(.POST, "/admin/users/\(id)/logout", csrf: .held).json()["revoked"] as? Int == 2)
            #expect(try await person.send(.POST, "/auth/refresh", csrf: .held).problemCode == "session_expired")

            let logins = try await admin.send(.GET, "/admin/events?user=\(email)&kind=login").json()
            let events = try #require(logins["events"] as? [[String: Any]])
            #expect(events.count == 2 && events.allSatisfy { $0["email"] as? String == email && $0["kind"] as? String == "login" })
            let revoked = try await admin.send(.GET, "/admin/events?user=\(id)&kind=sessions_revoked").json()["events"] as? [[String: Any]]
            #expect(revoked?.first?["actorId"] is String, "who did it")

            for _ in 0..<3 { _ = try await server.login(email) }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await admin.send(
                    .GET, "/admin/events?user=\(id)&kind=login" + (cursor.map { "&cursor=\($0)" } ?? ""))
                let body = try page.json()
                seen += (body["events"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = body["nextCursor"] as? String
            } while cursor != nil
            #expect(seen.count == 5 && Set(seen).count == 5)
        }
    }

    @Test("event pages neither repeat nor skip events, even many recorded at one fractional instant")
    func eventPagesExact() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let id = try await server.userID(try await server.makeUserQuickly("burst@example.com"))
            let instant = Date(timeIntervalSince1970: 1_796_332_434.0645857)
            for _ in 0..<120 {
                try await SecurityEvents.record(
                    .loginFailed, user: UUID(uuidString: id), session: nil, client: Administrator.console.client, now: instant, on: server.app.db)
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let body = try await admin.send(.GET, "/admin/events?user=\(id)" + (cursor.map { "&cursor=\($0)" } ?? "")).json()
                seen += (body["events"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = body["nextCursor"] as? String
                pages += 1
            } while cursor != nil && pages < 5
            #expect(seen.count == 120 && Set(seen).count == 120)
        }
    }

    @Test("the admin's own changes to others stay out of their personal security activity")
    func personalActivity() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let email = try await server.makeUser()
            let id = try await server.userID(email)
            _ = try await server.login(email)
            #expect(try await admin.send(.POST, "/admin/users/\(id)/logout", csrf: .held).json()["revoked"] as? Int == 1)
            #expect(try await admin.send(.POST, "/admin/users/\(id)/logout", csrf: .held).json()["revoked"] as? Int == 0)
            let own = try await admin.send(.GET, "/auth/security-events").jsonArray()
            #expect(!own.contains { $0["kind"] as? String == "sessions_revoked" })
            // The person sees that an administrator acted, not the administrator's address and browser.
            let person = try await server.login(email)
            let theirs = try await person.send(.GET, "/auth/security-events").jsonArray()
            let revoked = theirs.filter { $0["kind"] as? String == "sessions_revoked" }
            #expect(revoked.count == 1, "ending no session records nothing")
            #expect(revoked.first?["byAdministrator"] as? Bool == true && revoked.first?["ipAddress"] as? String == "")
            #expect(theirs.first { $0["kind"] as? String == "login" }?["byAdministrator"] as? Bool == false)
        }
    }
}

extension TestServer {
    func userID(_ email: String) async throws -> String {
        try #require(try await app.accountAdministration.account(email: email, on: app.db)?.id)
    }

    func setRoles(_ email: String, _ roles: [Role]) async throws {
        let id = UserID(uuid: try #require(UUID(uuidString: try await userID(email))))
        _ = try await app.accountAdministration.setRoles(RoleSet(roles), of: id, by: .console, on: app.db)
    }

    /// A browser signed in as a new administrator (made at the console, as the first one is).
    func admin() async throws -> TestBrowser { try await adminWithEmail().0 }

    func adminWithEmail() async throws -> (TestBrowser, String) {
        let email = try await makeUser("admin-\(UUID().uuidString.prefix(6).lowercased())@example.com")
        try await setRoles(email, [.admin])
        return (try await login(email), email)
    }

    /// A confirmed account without going through mail (for tests that need many).
    func makeUserQuickly(_ email: String) async throws -> String {
        let user = UserRecord()
        user.email = email
        user.firstName = "Ann"
        user.lastName = "Lee"
        user.roles = "user"
        user.emailVerifiedAt = clock.now()
        user.createdAt = clock.now()
        user.updatedAt = clock.now()
        try await user.create(on: app.db)
        return email
    }
}

import Fluent
import Foundation
import GatehouseCore
import GatehouseTesting
import Synchronization
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

/// An OpenID provider in memory: each person it knows is a code that proves their claims. The ID
/// token's signature and claim checks have their own suite (IDTokenValidatorTests); here the
/// provider answers with validated claims, and what Gatehouse does with them is under test.
final class FakeIdentityProvider: IdentityProvider {
    let configuration: OIDCProviderConfiguration
    private let people = Mutex<[String: [String: any Sendable]]>([:])

    /// `linkByEmail`: whether this provider is trusted to link accounts by address (Google's default).
    init(linkByEmail: Bool = false) {
        configuration = OIDCProviderConfiguration(
            id: "fake", name: "Fake", issuer: "https://id.example.test", clientID: "gatehouse", clientSecret: "secret",
            linkByEmail: linkByEmail)
    }

    /// A person with `claims`; returns the code the provider would send back for them.
    func person(sub: String = UUID().uuidString, email: String, verified: Bool = true, givenName: String = "Ann") -> String {
        let code = UUID().uuidString
        people.withLock { $0[code] = ["sub": sub, "email": email, "email_verified": verified, "given_name": givenName] }
        return code
    }

    func authorizationURL(state: FederationStateClaims, redirectURI: String) async throws(FederationError) -> String {
        "https://id.example.test/authorize?state=\(state.state)&redirect_uri=\(redirectURI)"
    }

    func exchange(code: String, state: FederationStateClaims, redirectURI: String) async throws -> IDTokenClaims {
        guard var claims = people.withLock({ $0[code] }) else { throw FederationError.providerError }
        let now = Int64(Date().timeIntervalSince1970)
        claims.merge(["iss": configuration.issuer, "aud": configuration.clientID, "iat": now, "exp": now + 300, "nonce": state.nonce]) { $1 }
        return try JSONDecoder().decode(IDTokenClaims.self, from: JSONSerialization.data(withJSONObject: claims))
    }
}

extension TestServer {
    /// Starts a federated login in `browser` and comes back from the provider with `code`; returns
    /// where the callback sent the browser.
    func federate(_ browser: TestBrowser, code: String) async throws -> String {
        let start = try await browser.send(.GET, "/oauth2/authorization/fake")
        #expect(start.status == .found)
        let location = try #require(start.headers.first(name: .location))
        let state = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "state" }?.value)
        let callback = try await browser.send(.GET, "/login/oauth2/code/fake?code=\(code)&state=\(state)")
        #expect(callback.status == .found)
        return try #require(callback.headers.first(name: .location))
    }
}

func withFederation(linkByEmail: Bool = false, _ body: (TestServer, FakeIdentityProvider) async throws -> Void) async throws {
    let provider = FakeIdentityProvider(linkByEmail: linkByEmail)
    try await withServer(identityProviders: ["fake": provider]) { server in try await body(server, provider) }
}

@Suite("Federated login (in process, with a fake provider)", .onEveryDatabase)
struct FederationTests {
    static let success = "http://localhost:5173/auth/callback?status=success"

    @Test("a new person signs in, gets a verified account without password and the same session as a password login")
    func newPerson() async throws {
        try await withFederation { server, provider in
            let browser = try server.browser()
            #expect(try await server.federate(browser, code: provider.person(email: "Fed@Example.com")) == Self.success)
            let user = try await browser.send(.GET, "/auth/user").json()
            #expect(user["email"] as? String == "fed@example.com")
            #expect(user["emailVerified"] as? Bool == true)
            // The SPA finds its session as after a reload, then refreshes like any session.
            #expect(try await browser.send(.GET, "/auth/session").json()["authenticated"] as? Bool == true)
            #expect(try await browser.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            let account = try #require(try await UserRecord.query(on: server.app.db).filter(\.$email == "fed@example.com").first())
            #expect(account.passwordHash == nil)
            #expect(try await IdentityRecord.query(on: server.app.db).count() == 1)
        }
    }

    @Test("the same subject signs in to the same account again, whatever its email says now")
    func sameSubject() async throws {
        try await withFederation { server, provider in
            let first = try server.browser(), second = try server.browser()
            #expect(try await server.federate(first, code: provider.person(sub: "s-1", email: "one@example.com")) == Self.success)
            #expect(try await server.federate(second, code: provider.person(sub: "s-1", email: "two@example.com")) == Self.success)
            #expect(try await UserRecord.query(on: server.app.db).count() == 1)
        }
    }

    @Test("a provider trusted with addresses links its verified email to the existing verified account, whose password keeps working")
    func linksVerifiedAccount() async throws {
        try await withFederation(linkByEmail: true) { server, provider in
            let email = try await server.makeUser()
            let browser = try server.browser()
            #expect(try await server.federate(browser, code: provider.person(email: email)) == Self.success)
            #expect(try await browser.send(.GET, "/auth/user").json()["email"] as? String == email)
            #expect(try await UserRecord.query(on: server.app.db).count() == 1)
            _ = try await server.login(email)
            #expect(try await server.notableEvents() == ["provider_linked"])
            #expect(try await server.deliverMail().contains { $0.to == email && $0.subject == "Fake can now sign in to your account" })
        }
    }

    @Test("an unverified local registration is taken over: the squatter's password stops working, the event is recorded")
    func takesOverUnverifiedAccount() async throws {
        try await withFederation(linkByEmail: true) { server, provider in
            #expect(try await server.register("victim@example.com", password: "squatters password 1").status == .accepted)
            let browser = try server.browser()
            #expect(try await server.federate(browser, code: provider.person(email: "victim@example.com")) == Self.success)
            let login = try await server.browser().send(
                .POST, "/auth/login", json: ["email": "victim@example.com", "password": "squatters password 1"], csrf: .anonymous)
            #expect(login.status == .unauthorized)
            #expect(Set(try await server.notableEvents()) == ["federated_takeover", "provider_linked"])
        }
    }

    @Test("an unverified provider email never links to an existing account and never signs in")
    func unverifiedEmailNeverLinks() async throws {
        try await withFederation { server, provider in
            let email = try await server.makeUser()
            let browser = try server.browser()
            let location = try await server.federate(browser, code: provider.person(email: email, verified: false))
            #expect(location == "http://localhost:5173/auth/callback?status=error&code=email_not_verified")
            #expect(browser.cookies["refresh_token"] == nil)
            #expect(try await IdentityRecord.query(on: server.app.db).count() == 0)
        }
    }

    @Test("a wrong state, a replayed callback and a missing state cookie are refused as invalid_state")
    func stateIsSingleUseAndBound() async throws {
        try await withFederation { server, provider in
            let invalid = "http://localhost:5173/auth/callback?status=error&code=invalid_state"
            let browser = try server.browser()
            let start = try await browser.send(.GET, "/oauth2/authorization/fake")
            let location = try #require(start.headers.first(name: .location))
            let state = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "state" }?.value)
            let stateCookie = try #require(browser.cookies["gatehouse_oidc_state"])
            let wrong = try await browser.send(.GET, "/login/oauth2/code/fake?code=\(provider.person(email: "a@example.com"))&state=nope")
            #expect(wrong.headers.first(name: .location) == invalid)
            #expect(browser.cookies["gatehouse_oidc_state"] == nil, "a refused callback clears the state cookie")
            #expect(try await UserRecord.query(on: server.app.db).count() == 0)

            // A forged callback must not burn the person's own login: with the cookie, the real one works once.
            browser.cookies["gatehouse_oidc_state"] = stateCookie
            let code = provider.person(email: "a@example.com")
            let real = try await browser.send(.GET, "/login/oauth2/code/fake?code=\(code)&state=\(state)")
            #expect(real.headers.first(name: .location) == Self.success)
            let replayer = try server.browser()
            replayer.cookies["gatehouse_oidc_state"] = stateCookie
            let replay = try await replayer.send(.GET, "/login/oauth2/code/fake?code=\(code)&state=\(state)")
            #expect(replay.headers.first(name: .location) == invalid)
            #expect(replayer.cookies["refresh_token"] == nil)

            let noCookie = try await server.browser().send(.GET, "/login/oauth2/code/fake?code=\(code)&state=\(state)")
            #expect(noCookie.headers.first(name: .location) == invalid)
        }
    }

    @Test("denied consent ends at the callback with access_denied and logs no one in")
    func deniedConsent() async throws {
        try await withFederation { server, _ in
            let browser = try server.browser()
            _ = try await browser.send(.GET, "/oauth2/authorization/fake")
            let denied = try await browser.send(.GET, "/login/oauth2/code/fake?error=access_denied")
            #expect(denied.headers.first(name: .location) == "http://localhost:5173/auth/callback?status=error&code=access_denied")
            #expect(browser.cookies["refresh_token"] == nil)
        }
    }

    @Test("an unknown provider is not found at the start and unknown_provider at the callback")
    func unknownProvider() async throws {
        try await withFederation { server, _ in
            let browser = try server.browser()
            #expect(try await browser.send(.GET, "/oauth2/authorization/nope").status == .notFound)
            let callback = try await browser.send(.GET, "/login/oauth2/code/nope?code=x&state=y")
            #expect(callback.headers.first(name: .location) == "http://localhost:5173/auth/callback?status=error&code=unknown_provider")
        }
    }

    static func error(_ code: String) -> String { "http://localhost:5173/auth/callback?status=error&code=\(code)" }

    @Test("an unverified provider email creates no account even when the address is free (no pre-hijacking, no oracle)")
    func unverifiedEmailNeverCreates() async throws {
        try await withFederation(linkByEmail: true) { server, provider in
            let browser = try server.browser()
            let location = try await server.federate(browser, code: provider.person(email: "free@example.com", verified: false))
            #expect(location == Self.error("email_not_verified"))
            #expect(browser.cookies["refresh_token"] == nil)
            #expect(try await UserRecord.query(on: server.app.db).count() == 0)
            #expect(try await IdentityRecord.query(on: server.app.db).count() == 0)
        }
    }

    @Test("a provider not trusted with addresses never joins an existing account by itself: account_exists")
    func untrustedProviderAccountExists() async throws {
        try await withFederation { server, provider in
            let email = try await server.makeUser()
            let browser = try server.browser()
            #expect(try await server.federate(browser, code: provider.person(email: email)) == Self.error("account_exists"))
            #expect(browser.cookies["refresh_token"] == nil)
            #expect(try await IdentityRecord.query(on: server.app.db).count() == 0)
            // A never-confirmed registration is not taken over by such a provider either.
            #expect(try await server.register("pending@example.com").status == .accepted)
            #expect(try await server.federate(browser, code: provider.person(email: "pending@example.com")) == Self.error("account_exists"))
        }
    }

    @Test("an identity attached to a never-confirmed account signs no one in, and a take-over removes it")
    func takeOverRemovesEarlierIdentities() async throws {
        try await withFederation(linkByEmail: true) { server, provider in
            #expect(try await server.register("victim@example.com").status == .accepted)
            let squatter = try #require(try await UserRecord.query(on: server.app.db).filter(\.$email == "victim@example.com").first())
            // As an older version could leave it: the squatter's own identity on the unconfirmed account.
            let planted = IdentityRecord()
            planted.userID = try squatter.requireID()
            planted.provider = "fake"
            planted.issuer = provider.configuration.issuer
            planted.subject = "squatter"
            planted.createdAt = Date()
            planted.lastLoginAt = Date()
            try await planted.create(on: server.app.db)
            let attacker = try server.browser()
            #expect(try await server.federate(attacker, code: provider.person(sub: "squatter", email: "x@example.com")) == Self.error("email_not_verified"))
            #expect(try await server.federate(try server.browser(), code: provider.person(sub: "owner", email: "victim@example.com")) == Self.success)
            #expect(try await IdentityRecord.query(on: server.app.db).all().map(\.subject) == ["owner"])
        }
    }

    @Test("a signed-in person links a provider, is mailed, and then signs in with it; another account's identity is refused")
    func linkWhileSignedIn() async throws {
        try await withFederation { server, provider in
            let email = try await server.makeUser()
            let browser = try await server.login(email)
            let started = try await browser.send(.POST, "/auth/identities/fake/link", csrf: .held)
            #expect(started.status == .ok)
            let url = try #require(try started.json()["authorizationUrl"] as? String)
            let state = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "state" }?.value)
            let code = provider.person(sub: "linked-sub", email: "other-address@example.com")
            let callback = try await browser.send(.GET, "/login/oauth2/code/fake?code=\(code)&state=\(state)")
            #expect(callback.headers.first(name: .location) == "http://localhost:5173/auth/callback?status=linked&provider=fake")
            let identities = try await browser.send(.GET, "/auth/identities").jsonArray()
            #expect(identities.count == 1)
            #expect(identities.first?["provider"] as? String == "fake")
            #expect((identities.first?["id"] as? String)?.count == 36)
            #expect(try await server.deliverMail().contains { $0.to == email && $0.subject == "Fake can now sign in to your account" })
            #expect(try await server.notableEvents() == ["provider_linked"])

            // Signing in with it opens the same account.
            let elsewhere = try server.browser()
            #expect(try await server.federate(elsewhere, code: provider.person(sub: "linked-sub", email: "whatever@example.com")) == Self.success)
            #expect(try await elsewhere.send(.GET, "/auth/user").json()["email"] as? String == email)

            // The same identity cannot be linked to a second account.
            let second = try await server.login(try await server.makeUser())
            let again = try #require(try await second.send(.POST, "/auth/identities/fake/link", csrf: .held).json()["authorizationUrl"] as? String)
            let secondState = try #require(URLComponents(string: again)?.queryItems?.first { $0.name == "state" }?.value)
            let refused = try await second.send(
                .GET, "/login/oauth2/code/fake?code=\(provider.person(sub: "linked-sub", email: "x@example.com"))&state=\(secondState)")
            #expect(refused.headers.first(name: .location) == Self.error("identity_in_use"))
        }
    }

    @Test("linking needs a live session and a session CSRF token; a link whose session ended meanwhile is refused")
    func linkNeedsSession() async throws {
        try await withFederation { server, provider in
            #expect(try await server.browser().send(.POST, "/auth/identities/fake/link", csrf: .anonymous).status == .unauthorized)
            let browser = try await server.login(try await server.makeUser())
            #expect(try await browser.send(.POST, "/auth/identities/fake/link").status == .forbidden)
            #expect(try await browser.send(.POST, "/auth/identities/nope/link", csrf: .held).status == .notFound)
            let url = try #require(try await browser.send(.POST, "/auth/identities/fake/link", csrf: .held).json()["authorizationUrl"] as? String)
            let state = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "state" }?.value)
            #expect(try await browser.send(.POST, "/auth/logout", csrf: .held).status == .ok)
            let callback = try await browser.send(.GET, "/login/oauth2/code/fake?code=\(provider.person(email: "a@example.com"))&state=\(state)")
            #expect(callback.headers.first(name: .location) == Self.error("session_expired"))
            #expect(try await IdentityRecord.query(on: server.app.db).count() == 0)
        }
    }

    @Test("unlinking: the last way to sign in is kept (409), another account's identity is not found, otherwise 204 and a notice")
    func unlink() async throws {
        try await withFederation { server, provider in
            let federated = try server.browser()
            #expect(try await server.federate(federated, code: provider.person(email: "fed@example.com")) == Self.success)
            _ = try await federated.send(.GET, "/auth/session")  // the SPA's bootstrap: the session CSRF token
            let only = try #require(try await federated.send(.GET, "/auth/identities").jsonArray().first?["id"] as? String)
            let refused = try await federated.send(.DELETE, "/auth/identities/\(only)", csrf: .held)
            #expect(refused.status == .conflict)
            #expect(try refused.json()["code"] as? String == "last_sign_in_method")

            let email = try await server.makeUser()
            let owner = try await server.login(email)
            #expect(try await owner.send(.DELETE, "/auth/identities/\(only)", csrf: .held).status == .notFound)
            let url = try #require(try await owner.send(.POST, "/auth/identities/fake/link", csrf: .held).json()["authorizationUrl"] as? String)
            let state = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "state" }?.value)
            _ = try await owner.send(.GET, "/login/oauth2/code/fake?code=\(provider.person(email: "b@example.com"))&state=\(state)")
            let linked = try #require(try await owner.send(.GET, "/auth/identities").jsonArray().first?["id"] as? String)
            #expect(try await owner.send(.DELETE, "/auth/identities/\(linked)").status == .forbidden, "needs the session CSRF token")
            #expect(try await owner.send(.DELETE, "/auth/identities/\(linked)", csrf: .held).status == .noContent)
            #expect(try await owner.send(.GET, "/auth/identities").jsonArray().isEmpty)
            #expect(try await server.deliverMail().contains { $0.to == email && $0.subject == "Fake was removed from your account" })
            #expect(try await SecurityEventRecord.query(on: server.app.db).filter(\.$kind == "provider_unlinked").count() == 1)
        }
    }

    @Test("a federated sign-in ends the session the browser already had")
    func callbackEndsEarlierSession() async throws {
        try await withFederation { server, provider in
            let browser = try await server.login(try await server.makeUser())
            let earlier = try #require(browser.cookies["refresh_token"]).value
            #expect(try await server.federate(browser, code: provider.person(email: "someone@example.com")) == Self.success)
            let old = try server.browser()
            old.cookies["refresh_token"] = .init(value: earlier, path: "/auth")
            #expect(try await old.send(.GET, "/auth/session").json()["authenticated"] as? Bool == false)
        }
    }

    @Test("a provider's names lose control and bidirectional-formatting characters")
    func namesAreCleaned() async throws {
        try await withFederation { server, provider in
            let browser = try server.browser()
            let code = provider.person(email: "names@example.com", givenName: "An\u{202E}n\u{0007} ")
            #expect(try await server.federate(browser, code: code) == Self.success)
            #expect(try await browser.send(.GET, "/auth/user").json()["firstName"] as? String == "Ann")
        }
    }

    @Test("two first sign-ins of one new identity at once both succeed, into one account")
    func concurrentFirstSignIns() async throws {
        try await withFederation { server, provider in
            let codes = (0..<4).map { _ in provider.person(sub: "racer", email: "racer@example.com") }
            let locations = try await withThrowingTaskGroup(of: String.self) { group in
                for code in codes { group.addTask { try await server.federate(try server.browser(), code: code) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(locations.allSatisfy { $0 == Self.success }, "\(locations)")
            #expect(try await UserRecord.query(on: server.app.db).count() == 1)
            #expect(try await IdentityRecord.query(on: server.app.db).count() == 1)
        }
    }
}

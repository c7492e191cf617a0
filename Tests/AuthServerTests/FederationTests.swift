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
    let configuration = OIDCProviderConfiguration(
        id: "fake", name: "Fake", issuer: "https://id.example.test", clientID: "gatehouse", clientSecret: "secret")
    private let people = Mutex<[String: [String: any Sendable]]>([:])

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

func withFederation(_ body: (TestServer, FakeIdentityProvider) async throws -> Void) async throws {
    let provider = FakeIdentityProvider()
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

    @Test("a verified provider email links to the existing verified account, whose password keeps working")
    func linksVerifiedAccount() async throws {
        try await withFederation { server, provider in
            let email = try await server.makeUser()
            let browser = try server.browser()
            #expect(try await server.federate(browser, code: provider.person(email: email)) == Self.success)
            #expect(try await browser.send(.GET, "/auth/user").json()["email"] as? String == email)
            #expect(try await UserRecord.query(on: server.app.db).count() == 1)
            _ = try await server.login(email)
        }
    }

    @Test("an unverified local registration is taken over: the squatter's password stops working, the event is recorded")
    func takesOverUnverifiedAccount() async throws {
        try await withFederation { server, provider in
            #expect(try await server.register("victim@example.com", password: "squatters password 1").status == .accepted)
            let browser = try server.browser()
            #expect(try await server.federate(browser, code: provider.person(email: "victim@example.com")) == Self.success)
            let login = try await server.browser().send(
                .POST, "/auth/login", json: ["email": "victim@example.com", "password": "squatters password 1"], csrf: .anonymous)
            #expect(login.status == .unauthorized)
            let events = try await SecurityEventRecord.query(on: server.app.db).all()
            #expect(events.map(\.kind) == ["federated_takeover"])
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
}

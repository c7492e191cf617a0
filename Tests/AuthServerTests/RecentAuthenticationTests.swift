import Foundation
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

/// "Needs recent authentication" (CONTRACT "Second factors and recent authentication").
@Suite("Recent authentication", .onEveryDatabase)
struct RecentAuthenticationTests {
    @Test("a sensitive change needs proof within five minutes; POST /auth/reauthenticate renews it")
    func reauthenticate() async throws {
        try await withFederation { server, _ in
            let email = try await server.makeUser()
            let browser = try await server.login(email)
            server.clock.advance(by: 301)
            #expect(try await browser.send(.POST, "/auth/identities/fake/link", csrf: .held).problemCode == "reauthentication_required")
            #expect(try await browser.send(.DELETE, "/auth/identities/\(UUID())", csrf: .held).problemCode == "reauthentication_required")

            let wrong = try await browser.send(.POST, "/auth/reauthenticate", json: ["password": "not it"], csrf: .held)
            #expect(wrong.status == .badRequest && wrong.problemCode == "invalid_credentials")
            #expect(try await browser.send(.POST, "/auth/reauthenticate", json: ["password": TestServer.password]).status == .forbidden,
                    "needs the session CSRF token")
            #expect(try await browser.send(.POST, "/auth/reauthenticate", json: ["password": TestServer.password], csrf: .held).status == .ok)
            #expect(try await browser.send(.POST, "/auth/identities/fake/link", csrf: .held).status == .ok)

            // Another session of the same person is not made recent by this one's proof.
            let other = try await server.login(email)
            server.clock.advance(by: 301)
            #expect(try await browser.send(.POST, "/auth/reauthenticate", json: ["password": TestServer.password], csrf: .held).status == .ok)
            #expect(try await other.send(.POST, "/auth/identities/fake/link", csrf: .held).problemCode == "reauthentication_required")
        }
    }

    @Test("changing the password with the current one is its own proof; a federated-only account sets a first password when recently authenticated")
    func changePassword() async throws {
        try await withFederation { server, provider in
            let browser = try await server.login(try await server.makeUser())
            server.clock.advance(by: 301)
            let change = ["currentPassword": TestServer.password, "newPassword": "a second passphrase"]
            #expect(try await browser.send(.POST, "/auth/change-password", json: change, csrf: .held).status == .ok)
            let missing = try await browser.send(.POST, "/auth/change-password", json: ["newPassword": "a third passphrase"], csrf: .held)
            #expect(missing.problemCode == "validation_failed", "an account with a password must give it")

            let federated = try server.browser()
            #expect(try await server.federate(federated, code: provider.person(email: "fed-only@example.com")) == FederationTests.success)
            _ = try await federated.send(.GET, "/auth/session")
            let first = ["newPassword": "my first own passphrase"]
            #expect(try await federated.send(.POST, "/auth/change-password", json: first, csrf: .held).status == .ok)
            _ = try await server.login("fed-only@example.com", password: "my first own passphrase")
            server.clock.advance(by: 301)
            let stale = try await federated.send(.POST, "/auth/change-password", json: ["newPassword": "another one entirely"], csrf: .held)
            #expect(stale.problemCode == "validation_failed", "now it has a password, it must give it")
        }
    }

    @Test("guesses at /auth/reauthenticate count as login attempts on the account")
    func guessesCount() async throws {
        try await withServer() { server in
            let browser = try await server.login(try await server.makeUser())
            for _ in 0..<10 {
                _ = try await browser.send(.POST, "/auth/reauthenticate", json: ["password": "guess"], csrf: .held)
            }
            let limited = try await browser.send(.POST, "/auth/reauthenticate", json: ["password": TestServer.password], csrf: .held)
            #expect(limited.status == .tooManyRequests && limited.problemCode == "rate_limited")
        }
    }
}

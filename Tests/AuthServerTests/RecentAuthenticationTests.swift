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
            let change = ["currentPassword": TestServer.password, "newPassword": "a second passphrase"]
            server.clock.advance(by: 301)
            let stale = try await browser.send(.POST, "/auth/change-password", json: change, csrf: .held)
            #expect(stale.status == .forbidden && stale.problemCode == "reauthentication_required")
            #expect(try await browser.send(.POST, "/auth/identities/fake/link", csrf: .held).problemCode == "reauthentication_required")
            #expect(try await browser.send(.DELETE, "/auth/identities/\(UUID())", csrf: .held).problemCode == "reauthentication_required")

            let wrong = try await browser.send(.POST, "/auth/reauthenticate", json: ["password": "not it"], csrf: .held)
            #expect(wrong.status == .badRequest && wrong.problemCode == "invalid_credentials")
            #expect(try await browser.send(.POST, "/auth/reauthenticate", json: ["password": TestServer.password]).status == .forbidden,
                    "needs the session CSRF token")
            #expect(try await browser.send(.POST, "/auth/reauthenticate", json: ["password": TestServer.password], csrf: .held).status == .ok)
            #expect(try await browser.send(.POST, "/auth/change-password", json: change, csrf: .held).status == .ok)
            #expect(try await browser.send(.POST, "/auth/identities/fake/link", csrf: .held).status == .ok)

            // Another session of the same person is not made recent by this one's proof.
            let other = try await server.login(email, password: "a second passphrase")
            server.clock.advance(by: 301)
            #expect(try await browser.send(.POST, "/auth/reauthenticate", json: ["password": "a second passphrase"], csrf: .held).status == .ok)
            #expect(try await other.send(.POST, "/auth/identities/fake/link", csrf: .held).problemCode == "reauthentication_required")
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

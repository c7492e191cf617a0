import Foundation
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

@Suite("Login", .onEveryDatabase)
struct LoginTests {
    @Test("login sets both cookies with the contract's attributes")
    func loginCookies() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let browser = try server.browser()
            let response = try await browser.send(.POST, "/auth/login", json: ["email": email, "password": TestServer.password], csrf: .anonymous)
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body["csrfToken"] is String && body["accessTokenExpiresAt"] is String && body["user"] is [String: Any])
            let access = try #require(response.setCookies["access_token"])
            let refresh = try #require(response.setCookies["refresh_token"])
            #expect(access.path == "/" && access.maxAge == 2_592_000 && access.isHTTPOnly && access.isSecure && access.sameSite == .lax)
            #expect(refresh.path == "/auth" && refresh.domain == nil && refresh.isHTTPOnly && refresh.isSecure)
            #expect((1_209_590...1_209_600).contains(refresh.maxAge ?? 0))
        }
    }

    @Test("an unknown address and a wrong password get the same answer")
    func noEnumeration() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let wrong = try await server.browser().send(.POST, "/auth/login", json: ["email": email, "password": "not the password"], csrf: .anonymous)
            let unknown = try await server.browser().send(.POST, "/auth/login", json: ["email": "ghost@example.com", "password": "not the password"], csrf: .anonymous)
            #expect(wrong.status == .unauthorized && wrong.problemCode == "invalid_credentials")
            #expect(wrong.status == unknown.status && wrong.body == unknown.body)
        }
    }

    @Test("an unconfirmed account is told so only after the right password")
    func unverified() async throws {
        try await withServer() { server in
            _ = try await server.register("new@example.com")
            let wrong = try await server.browser().send(.POST, "/auth/login", json: ["email": "new@example.com", "password": "nope nope nope"], csrf: .anonymous)
            #expect(wrong.problemCode == "invalid_credentials")
            let right = try await server.browser().send(.POST, "/auth/login", json: ["email": "new@example.com", "password": TestServer.password], csrf: .anonymous)
            #expect(right.status == .forbidden && right.problemCode == "email_not_verified")
        }
    }

    @Test("an anonymous CSRF token works once; none, a forged one or a reused one get 403")
    func anonymousCSRFSingleUse() async throws {
        try await withServer() { server in
            let browser = try server.browser()
            let token = try await browser.anonymousCSRF()
            let body: [String: any Sendable] = ["email": "x@example.com", "password": "whatever12"]
            #expect(try await browser.send(.POST, "/auth/login", json: body, csrf: .value(token)).status == .unauthorized)
            let reused = try await browser.send(.POST, "/auth/login", json: body, csrf: .value(token))
            #expect(reused.status == .forbidden && reused.problemCode == "csrf_invalid")
            #expect(try await browser.send(.POST, "/auth/login", json: body).problemCode == "csrf_invalid")
            #expect(try await browser.send(.POST, "/auth/login", json: body, csrf: .value(token + "x")).problemCode == "csrf_invalid")
        }
    }

    @Test("a 256-character password works in full and is never truncated")
    func longPassword() async throws {
        try await withServer() { server in
            let long = String(repeating: "Long-passphrase ", count: 16)
            #expect(long.count == 256)
            let email = try await server.makeUser(password: long)
            let almost = String(long.dropLast()) + "X"
            let refused = try await server.browser().send(.POST, "/auth/login", json: ["email": email, "password": almost], csrf: .anonymous)
            #expect(refused.problemCode == "invalid_credentials")
            _ = try await server.login(email, password: long)
            let tooLong = try await server.register("long@example.com", password: long + "!")
            #expect(tooLong.problemCode == "validation_failed")
        }
    }

    @Test("repeated attempts on one account from one address are limited with Retry-After")
    func rateLimited() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            var statuses: [HTTPStatus] = []
            for _ in 0..<12 {
                let response = try await server.browser().send(.POST, "/auth/login", json: ["email": email, "password": "wrong password"], csrf: .anonymous)
                statuses.append(response.status)
                if response.status == .tooManyRequests {
                    #expect(response.problemCode == "rate_limited")
                    #expect(Int(response.headers.first(name: "Retry-After") ?? "") ?? 0 > 0)
                }
            }
            #expect(statuses.prefix(10).allSatisfy { $0 == .unauthorized })
            #expect(statuses.suffix(2).allSatisfy { $0 == .tooManyRequests })
            server.clock.advance(by: 901)
            _ = try await server.login(email)
        }
    }
}

import Foundation
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

/// Builders for the usual journeys, so tests say what they check rather than how to get there.
extension TestServer {
    static let password = "correct horse battery staple"

    func register(_ email: String, password: String = TestServer.password, in browser: TestBrowser? = nil) async throws -> TestingHTTPResponse {
        try await (browser ?? self.browser()).send(.POST, "/auth/register", json: [
            "email": email, "password": password, "firstName": "Ann", "lastName": "Lee", "acceptTerms": true,
        ], csrf: .anonymous)
    }

    /// The token in the newest mail to `email` whose link starts with `prefix`.
    func token(mailedTo email: String, linkPrefix prefix: String) async throws -> String {
        let mails = try await deliverMail().filter { $0.to == email.lowercased() }
        let text = try #require(mails.last { $0.textBody.contains(prefix) }?.textBody, "no mail with \(prefix) to \(email)")
        let start = try #require(text.range(of: prefix)).upperBound
        return String(text[start...].prefix { !$0.isWhitespace })
    }

    func confirmationToken(for email: String) async throws -> String {
        try await token(mailedTo: email, linkPrefix: "\(configuration.authURL)/auth/confirm-account?token=")
    }

    /// A confirmed account.
    func makeUser(_ email: String = "user-\(UUID().uuidString.prefix(8).lowercased())@example.com", password: String = TestServer.password) async throws -> String {
        #expect(try await register(email, password: password).status == .accepted)
        let token = try await confirmationToken(for: email)
        let response = try await browser().send(.GET, "/auth/confirm-account?token=\(token)")
        #expect(response.headers.first(name: .location)?.hasSuffix("status=success") == true)
        return email
    }

    /// A browser logged in as `email`.
    func login(_ email: String, password: String = TestServer.password) async throws -> TestBrowser {
        let browser = try self.browser()
        let response = try await browser.send(.POST, "/auth/login", json: ["email": email, "password": password], csrf: .anonymous)
        #expect(response.status == .ok)
        return browser
    }
}

import Foundation
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

@Suite("Registration and confirmation", .onEveryDatabase)
struct RegistrationTests {
    @Test("a person registers, confirms by mail and logs in")
    func registerConfirmLogin() async throws {
        try await withServer() { server in
            #expect(try await server.register("Ann@Example.COM").status == .accepted)
            let token = try await server.confirmationToken(for: "ann@example.com")
            let confirm = try await server.browser().send(.GET, "/auth/confirm-account?token=\(token)")
            #expect(confirm.status == .found)
            #expect(confirm.headers.first(name: .location) == "http://localhost:5173/confirm-account?status=success")
            let browser = try await server.login("ann@example.com")
            let user = try await browser.send(.GET, "/auth/user").json()
            #expect(user["email"] as? String == "ann@example.com")
            #expect(user["emailVerified"] as? Bool == true)
        }
    }

    @Test("registering a taken address answers the same and mails the owner instead")
    func duplicateRegistration() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let fresh = try await server.register("new-\(UUID().uuidString.prefix(6).lowercased())@example.com")
            let taken = try await server.register(email.uppercased())
            #expect(fresh.status == taken.status)
            #expect(fresh.body == taken.body)
            let mails = try await server.deliverMail().filter { $0.to == email }
            #expect(mails.last?.subject == "You already have an account")
        }
    }

    @Test("field rules are reported per field")
    func validation() async throws {
        try await withServer() { server in
            let response = try await server.browser().send(.POST, "/auth/register", json: [
                "email": "not-an-address", "password": "password123", "firstName": "", "lastName": "Lee",
            ], csrf: .anonymous)
            #expect(response.status == .badRequest)
            #expect(response.problemCode == "validation_failed")
            #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true)
            let fields = try (response.json()["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(Set(fields) == ["email", "password", "firstName", "acceptTerms"])
        }
    }

    @Test("an internationalised address is refused with a clear field error, and nothing is stored or mailed")
    func internationalisedAddress() async throws {
        try await withServer() { server in
            let response = try await server.register("ann@bücher.de")
            #expect(response.status == .badRequest)
            #expect(response.problemCode == "validation_failed")
            let errors = try response.json()["errors"] as? [[String: Any]] ?? []
            #expect(errors.count == 1)
            #expect(errors.first?["field"] as? String == "email")
            #expect(errors.first?["code"] as? String == "invalid_format")
            #expect((errors.first?["message"] as? String)?.contains("ü") == true)
            #expect(try await UserRecord.query(on: server.app.db).count() == 0)
            #expect(try await server.deliverMail().isEmpty)
        }
    }

    @Test("a used confirmation link stays harmless, an unknown one is invalid, an old one expired")
    func confirmationLinkStates() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            _ = email
            let unknown = try await server.browser().send(.GET, "/auth/confirm-account?token=\(String(repeating: "A", count: 43))")
            #expect(unknown.headers.first(name: .location)?.hasSuffix("status=invalid") == true)
            #expect(try await server.register("late@example.com").status == .accepted)
            let token = try await server.confirmationToken(for: "late@example.com")
            server.clock.advance(by: 24 * 3600 + 1)
            let expired = try await server.browser().send(.GET, "/auth/confirm-account?token=\(token)")
            #expect(expired.headers.first(name: .location)?.hasSuffix("status=expired") == true)
        }
    }

    @Test("resend answers 202 for any address and mails a working link to an unconfirmed one")
    func resendVerification() async throws {
        try await withServer() { server in
            _ = try await server.register("slow@example.com")
            for email in ["slow@example.com", "nobody@example.com"] {
                let response = try await server.browser().send(.POST, "/auth/resend-verification", json: ["email": email], csrf: .anonymous)
                #expect(response.status == .accepted)
            }
            let token = try await server.confirmationToken(for: "slow@example.com")
            let confirm = try await server.browser().send(.GET, "/auth/confirm-account?token=\(token)")
            #expect(confirm.headers.first(name: .location)?.hasSuffix("status=success") == true)
            #expect(try await server.deliverMail().allSatisfy { $0.to != "nobody@example.com" })
        }
    }
}

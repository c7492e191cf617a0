import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import GatehouseMail
import Vapor

/// `POST /auth/register`, `GET /auth/confirm-account`, `POST /auth/resend-verification`.
struct RegistrationController: Capability {
    let registration: RegistrationService
    let passwordPolicy: PasswordPolicy
    let csrf: AuthCSRF
    let rateLimiter: RateLimiter
    let clock: any WallClock
    let spaURL: String

    var migrations: [any Migration] { [CreateLinkRequests(), AddPendingRegistrations()] }

    func boot(routes: any RoutesBuilder) throws {
        let auth = routes.grouped("auth")
        auth.get("confirm-account", use: confirm)
        let anonymous = auth.grouped(csrf.require(.anonymousOrSession))
        anonymous.post("register", use: register)
        anonymous.post("resend-verification", use: resend)
    }

    struct RegisterRequest: Content {
        var email: String?
        var password: String?
        var firstName: String?
        var lastName: String?
        var organization: String?
        var acceptTerms: Bool?
        var marketingOptIn: Bool?
    }

    func register(_ req: Request) async throws -> Response {
        let input = try req.content.decode(RegisterRequest.self)
        let account = try validate(input)
        try await rateLimiter.enforce([("register:\(req.client.rateLimitKey)", rateLimiter.limits.registerPerAddress)], now: clock.now(), on: req.db.sql)
        try await registration.register(account, on: req.db)
        return try jsonResponse(
            Accepted(message: "If the address can be registered, a confirmation link is on its way."), status: .accepted)
    }

    func confirm(_ req: Request) async throws -> Response {
        let token = (try? req.query.get(String.self, at: "token")) ?? ""
        let status = try await registration.confirm(token, on: req.db)
        let response = Response(status: .found)
        response.headers.replaceOrAdd(name: .location, value: "\(spaURL)/confirm-account?status=\(status.rawValue)")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }

    func resend(_ req: Request) async throws -> Response {
        let email = try EmailAddress.field(req.content.decode(EmailRequest.self).email)
        try await rateLimiter.enforce([("mail-request:\(req.client.rateLimitKey)", rateLimiter.limits.mailRequestPerAddress)], now: clock.now(), on: req.db.sql)
        try await registration.resendConfirmation(to: email, on: req.db)
        return try jsonResponse(
            Accepted(message: "If the address has an unconfirmed account, a new link is on its way."), status: .accepted)
    }

    private func validate(_ input: RegisterRequest) throws -> NewAccount {
        var errors: [FieldProblem] = []
        let email = EmailAddress(input.email ?? "")
        if (input.email ?? "").isEmpty {
            errors.append(.init(field: "email", code: "required", message: "Enter your email address."))
        } else if let problem = EmailAddress.problem(with: input.email ?? "") {
            errors.append(problem)
        }
        if let problem = passwordPolicy.problem(with: input.password ?? "", field: "password") {
            errors.append(problem)
        }
        let first = Self.name(input.firstName, field: "firstName", label: "first name", into: &errors)
        let last = Self.name(input.lastName, field: "lastName", label: "last name", into: &errors)
        let organization = input.organization?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let organization, organization.count > 200 {
            errors.append(.init(field: "organization", code: "too_long", message: "Use at most 200 characters."))
        }
        if input.acceptTerms != true {
            errors.append(.init(field: "acceptTerms", code: "required", message: "Accept the terms to create an account."))
        }
        guard errors.isEmpty, let email, let password = input.password else { throw AuthError.validation(errors) }
        return NewAccount(
            email: email, password: password, firstName: first, lastName: last,
            organization: organization?.isEmpty == false ? organization : nil, marketingOptIn: input.marketingOptIn ?? false)
    }

    private static func name(_ raw: String?, field: String, label: String, into errors: inout [FieldProblem]) -> String {
        let value = raw?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if value.isEmpty {
            errors.append(.init(field: field, code: "required", message: "Enter your \(label)."))
        } else if value.count > 100 {
            errors.append(.init(field: field, code: "too_long", message: "Use at most 100 characters."))
        } else if value.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) {
            errors.append(.init(field: field, code: "invalid_format", message: "Remove control characters."))
        }
        return value
    }
}

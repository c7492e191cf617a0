import Foundation
import GatehouseCore
import GatehouseGuard
import ServerSupport
import Vapor

/// `POST /auth/register`, `GET /auth/confirm-account`, `POST /auth/resend-verification`.
struct RegistrationController: Sendable {
    let services: AuthServices
    var registration: RegistrationService { RegistrationService(services: services) }

    struct RegisterRequest: Content {
        var email: String?
        var password: String?
        var firstName: String?
        var lastName: String?
        var organization: String?
        var acceptTerms: Bool?
        var marketingOptIn: Bool?
    }

    struct EmailRequest: Content {
        var email: String?
    }

    struct Accepted: Content {
        var status = "accepted"
        var message: String
    }

    func register(_ req: Request) async throws -> Response {
        let input = try req.content.decode(RegisterRequest.self)
        let account = try validate(input)
        try await registration.register(account)
        return try jsonResponse(
            Accepted(message: "If the address can be registered, a confirmation link is on its way."), status: .accepted)
    }

    func confirm(_ req: Request) async throws -> Response {
        let token = (try? req.query.get(String.self, at: "token")) ?? ""
        let status = try await registration.confirm(token)
        let response = Response(status: .found)
        response.headers.replaceOrAdd(name: .location, value: "\(services.configuration.spaURL)/confirm-account?status=\(status.rawValue)")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }

    func resend(_ req: Request) async throws -> Response {
        let email = try Self.validEmail(req.content.decode(EmailRequest.self).email)
        try await registration.resendConfirmation(to: email)
        return try jsonResponse(
            Accepted(message: "If the address has an unconfirmed account, a new link is on its way."), status: .accepted)
    }

    static func validEmail(_ raw: String?) throws -> EmailAddress {
        guard let raw, !raw.isEmpty else {
            throw AuthError.validation([.init(field: "email", code: "required", message: "Enter your email address.")])
        }
        guard let email = EmailAddress(raw) else {
            throw AuthError.validation([.init(field: "email", code: "invalid_format", message: "Enter a valid email address.")])
        }
        return email
    }

    private func validate(_ input: RegisterRequest) throws -> NewAccount {
        var errors: [FieldProblem] = []
        let email = EmailAddress(input.email ?? "")
        if (input.email ?? "").isEmpty {
            errors.append(.init(field: "email", code: "required", message: "Enter your email address."))
        } else if email == nil {
            errors.append(.init(field: "email", code: "invalid_format", message: "Enter a valid email address."))
        }
        if let problem = services.passwordPolicy.problem(with: input.password ?? "", field: "password") {
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

import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import ServerSupport
import Vapor

/// Login, refresh, logout and the session bootstrap of a reloaded SPA.
struct SessionController: Sendable {
    let services: AuthServices

    struct LoginRequest: Content {
        var email: String?
        var password: String?
    }

    struct SessionResponse: Content {
        var user: UserDTO
        var csrfToken: String
        var accessTokenExpiresAt: String
    }

    struct RefreshResponse: Content {
        var csrfToken: String
        var accessTokenExpiresAt: String
    }

    struct BootstrapResponse: Content {
        var authenticated: Bool
        var user: UserDTO?
        var csrfToken: String
        var accessTokenExpiresAt: String?
    }

    struct CSRFResponse: Content {
        var csrfToken: String
    }

    func csrf(_ req: Request) async throws -> Response {
        try jsonResponse(CSRFResponse(csrfToken: try services.sessionTokens.anonymousCSRF(now: services.clock.now())))
    }

    func login(_ req: Request) async throws -> Response {
        let input = try req.content.decode(LoginRequest.self)
        var errors: [FieldProblem] = []
        if (input.email ?? "").isEmpty { errors.append(.init(field: "email", code: "required", message: "Enter your email address.")) }
        if (input.password ?? "").isEmpty { errors.append(.init(field: "password", code: "required", message: "Enter your password.")) }
        guard errors.isEmpty, let rawEmail = input.email, let password = input.password else { throw AuthError.validation(errors) }

        let now = services.clock.now()
        let client = req.client
        // Unparseable addresses are treated like unknown ones: same work, same answer.
        let email = EmailAddress(rawEmail)?.value ?? rawEmail.lowercased()
        let accountBucket = "login:\(email)|\(client.ipAddress)"
        for (bucket, rule) in [(accountBucket, RateLimiter.Rule.loginPerAccountAndAddress), ("login-ip:\(client.ipAddress)", .loginPerAddress)] {
            if case .limited(let seconds) = try await services.rateLimiter.hit(bucket, rule: rule, now: now, on: services.database.sql) {
                throw AuthError.rateLimited(retryAfter: seconds)
            }
        }

        let user = try await UserRecord.query(on: services.database).filter(\.$email == email).first()
        guard try await services.hasher.verify(password, against: user?.passwordHash), let user else {
            throw AuthError.invalidCredentials
        }
        guard user.isVerified else { throw AuthError.emailNotVerified }
        try await services.rateLimiter.reset(accountBucket, on: services.database.sql)

        let tokens = try await services.sessions.start(for: user, client: client)
        let response = try jsonResponse(SessionResponse(
            user: try UserDTO(user), csrfToken: tokens.csrfToken, accessTokenExpiresAt: iso8601(tokens.accessTokenExpiresAt)))
        response.setTokenCookies(tokens, policy: services.cookies, now: now)
        return response
    }

    func refresh(_ req: Request) async throws -> Response {
        switch try await services.sessions.refresh(req.refreshTokenCookie, client: req.client) {
        case .rotated(let tokens), .raced(let tokens):
            let response = try jsonResponse(RefreshResponse(
                csrfToken: tokens.csrfToken, accessTokenExpiresAt: iso8601(tokens.accessTokenExpiresAt)))
            response.setTokenCookies(tokens, policy: services.cookies, now: services.clock.now())
            return response
        case .refused:
            throw AuthError.sessionExpired(clearing: services.cookies.cleared())
        }
    }

    func logout(_ req: Request) async throws -> Response {
        let now = services.clock.now()
        if let sid = await services.callerSession(of: req) {
            try await services.sessions.revoke(sessionID: sid.uuid, reason: "logout", now: now, on: services.database)
        }
        let response = try jsonResponse(["status": "logged_out"])
        response.clearTokenCookies(policy: services.cookies)
        return response
    }

    /// `GET /auth/session`: how a reloaded SPA finds its session again. Never rotates the refresh
    /// token; does set a fresh access token so the first screen needs no refresh round trip.
    func bootstrap(_ req: Request) async throws -> Response {
        let now = services.clock.now()
        guard let (session, user) = try await services.sessions.current(req.refreshTokenCookie) else {
            return try jsonResponse(BootstrapResponse(
                authenticated: false, user: nil, csrfToken: try services.sessionTokens.anonymousCSRF(now: now),
                accessTokenExpiresAt: nil))
        }
        let sid = SessionID(uuid: try session.requireID())
        let (access, expiresAt) = try services.sessionTokens.accessToken(
            for: user, session: sid, sessionExpiresAt: session.expiresAt, now: now)
        let response = try jsonResponse(BootstrapResponse(
            authenticated: true, user: try UserDTO(user),
            csrfToken: try services.sessionTokens.sessionCSRF(sid, sessionExpiresAt: session.expiresAt, now: now),
            accessTokenExpiresAt: iso8601(expiresAt)))
        response.setCookie(services.cookies.accessToken(access, sessionExpiresAt: session.expiresAt, now: now))
        return response
    }
}

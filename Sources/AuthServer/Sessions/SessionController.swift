import Fluent
import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseGuard
import GatehouseMail
import Vapor

/// Login, refresh, logout, anonymous CSRF tokens and the session bootstrap of a reloaded SPA.
struct SessionController: Capability {
    let sessions: SessionStore
    let signedIn: SignedIn
    let tokens: SessionTokens
    let refreshTokens: RefreshTokenAuthenticator
    let callerSession: CallerSession
    let csrf: AuthCSRF
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let devices: KnownDevices
    let completion: SignInCompletion
    let secondFactors: SecondFactorStore
    let passkeys: PasskeyStore
    let assertions: PasskeyAssertions
    let mfaTokens: MFATokens
    let cookies: CookiePolicy
    let metrics: AuthMetrics
    let clock: any WallClock

    func boot(routes: any RoutesBuilder) throws {
        let auth = routes.grouped("auth")
        auth.get("csrf", use: csrfToken)
        auth.get("session", use: bootstrap)
        auth.grouped(csrf.require(.anonymousOrSession)).post("login", use: login)
        auth.grouped(refreshTokens.required(clearing: cookies, metrics: metrics), csrf.require(.session)).post("refresh", use: refresh)
        auth.grouped(csrf.require(.sessionOrEnded)).post("logout", use: logout)
        signedIn.guarding(auth).grouped(csrf.require(.session)).post("reauthenticate", use: reauthenticate)
    }

    var migrations: [any Migration] { [AddSessionAuthenticationTimes()] }

    struct ReauthenticateRequest: Content {
        var password: String?
        var code: String?
        var credential: AssertionJSON?
    }

    /// `POST /auth/reauthenticate`: the person proves who they are again, with their password or a
    /// code from their authenticator app (either counts as a login attempt), and this session counts
    /// as recently authenticated for five minutes.
    func reauthenticate(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let input = try req.content.decode(ReauthenticateRequest.self)
        if let credential = input.credential {
            // A passkey with user verification is proof enough, and this account's own.
            let now = clock.now()
            let (passkey, data) = try await assertions.verify(
                credential, in: req, of: principal.userID, requireUserVerification: true, now: now, refusedStatus: .badRequest)
            guard try await passkeys.used(passkey, signCount: data.signCount, now: now, on: req.db) else {
                throw PasskeyController.refused(.counterRegression, status: .badRequest)
            }
            try await sessions.reauthenticated(principal.sessionID, now: now, on: req.db)
            return try jsonResponse(["status": "reauthenticated"])
        }
        let password = input.password.flatMap { $0.isEmpty ? nil : $0 }
        let code = input.code.map { $0.filter { !$0.isWhitespace } }.flatMap { $0.isEmpty ? nil : $0 }
        guard password != nil || code != nil else {
            throw AuthError.validation([.init(field: "password", code: "required", message: "Enter your password or a code.")])
        }
        guard let user = try await UserRecord.find(principal.userID, on: req.db) else { throw Problem.unauthenticated }
        let now = clock.now()
        let attempt = LoginThrottle.Attempt(account: user.email, client: req.client, knownDevice: nil)
        try await throttle.count(attempt, now: now, on: req.db.sql)
        let proven: Bool
        if let password {
            proven = try await hasher.verify(password, against: user.passwordHash)
        } else {
            proven = try await secondFactors.useCode(code ?? "", of: principal.userID, now: now, on: req.db)
        }
        guard proven else {
            if password != nil { throw AuthError.wrongCurrentPassword }
            throw SecondFactorController.wrongCodeWhileSignedIn
        }
        try await throttle.succeeded(attempt, on: req.db.sql)
        try await sessions.reauthenticated(principal.sessionID, now: now, on: req.db)
        return try jsonResponse(["status": "reauthenticated"])
    }

    struct LoginRequest: Content {
        var email: String?
        var password: String?
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

    func csrfToken(_ req: Request) async throws -> Response {
        try jsonResponse(CSRFResponse(csrfToken: try tokens.anonymousCSRF(now: clock.now())))
    }

    /// `POST /auth/login`, counted by outcome.
    func login(_ req: Request) async throws -> Response {
        do {
            let response = try await attemptLogin(req)
            metrics.login(.success)
            return response
        } catch let error as AuthError {
            switch error {
            case .invalidCredentials: metrics.login(.invalidCredentials)
            case .emailNotVerified: metrics.login(.emailNotVerified)
            case .accountDisabled: metrics.login(.accountDisabled)
            case .rateLimited: metrics.login(.rateLimited)
            default: break
            }
            throw error
        } catch let error as HashingPoolFull {
            metrics.login(.busy)
            throw error
        }
    }

    private func attemptLogin(_ req: Request) async throws -> Response {
        let input = try req.content.decode(LoginRequest.self)
        var errors: [FieldProblem] = []
        if (input.email ?? "").isEmpty { errors.append(.init(field: "email", code: "required", message: "Enter your email address.")) }
        if (input.password ?? "").isEmpty { errors.append(.init(field: "password", code: "required", message: "Enter your password.")) }
        guard errors.isEmpty, let rawEmail = input.email, let password = input.password else { throw AuthError.validation(errors) }

        let now = clock.now()
        // Unparseable addresses are treated like unknown ones: same work, same answer.
        let email = EmailAddress.lenient(rawEmail)
        let accountKey = email?.value ?? rawEmail.lowercased()
        let attempt = LoginThrottle.Attempt(
            account: accountKey, client: req.client, knownDevice: await devices.device(in: req, for: accountKey))
        try await throttle.count(attempt, now: now, on: req.db.sql)

        var found: (account: Account, passwordHash: String?, disabled: Bool)?
        if let email { found = try await UserRecord.credentials(email: email, on: req.db) }
        guard try await hasher.verify(password, against: found?.passwordHash), let account = found?.account else {
            // Recorded whether or not the address has an account, so both cost the same write.
            try await SecurityEvents.record(.loginFailed, user: found?.account.id.uuid, session: nil, client: attempt.client, now: now, on: req.db)
            throw AuthError.invalidCredentials
        }
        guard account.emailVerified else { throw AuthError.emailNotVerified }
        if found?.disabled != false {
            // Someone holds the password of a disabled account: the administrators want to know.
            try await SecurityEvents.record(.loginFailed, user: account.id.uuid, session: nil, client: attempt.client, now: now, on: req.db)
            throw AuthError.accountDisabled
        }
        // With a second factor, the password alone signs no one in (and its counts stay until the
        // second step succeeds).
        // Two-step verification is on when TOTP is (it comes with recovery codes, so losing a device
        // never locks anyone out); a registered passkey is then one more way through the second step.
        if try await secondFactors.isEnabled(account.id, on: req.db) {
            let methods = ["totp", "recovery_code"] + (try await passkeys.count(of: account.id, on: req.db) > 0 ? ["passkey"] : [])
            return try jsonResponse(MFARequired(
                mfaRequired: true, methods: methods, mfaToken: try mfaTokens.issue(for: account.id, account: accountKey, now: now)))
        }
        return try await completion.complete(account, attempt: attempt, now: now, for: req)
    }

    struct MFARequired: Content {
        var mfaRequired: Bool
        var methods: [String]
        var mfaToken: String
    }

    func refresh(_ req: Request) async throws -> Response {
        guard let presented = await refreshTokens.presented(in: req) else { throw AuthError.sessionExpired(clearing: cookies.cleared()) }
        let outcome = try await sessions.rotate(presented, client: req.client, on: req.db)
        switch outcome {
        case .rotated(let issued), .raced(let issued):
            if case .rotated = outcome { metrics.refresh(.rotated) } else { metrics.refresh(.raced) }
            let response = try jsonResponse(RefreshResponse(
                csrfToken: issued.csrfToken, accessTokenExpiresAt: iso8601(issued.access.expiresAt)))
            response.setTokenCookies(issued, policy: cookies, now: clock.now())
            return response
        case .refused, .reused:
            metrics.refresh(outcome.isReuse ? .reuse : .refused)
            throw AuthError.sessionExpired(clearing: cookies.cleared())
        }
    }

    func logout(_ req: Request) async throws -> Response {
        if let sid = await callerSession.of(req) {
            try await sessions.revoke(sid, reason: "logout", now: clock.now(), on: req.db)
        }
        let response = try jsonResponse(["status": "logged_out"])
        response.clearTokenCookies(policy: cookies)
        return response
    }

    /// `GET /auth/session`: how a reloaded SPA finds its session again. Never rotates the refresh
    /// token, but judges it as a refresh would (a retired one ends the session); does set a fresh
    /// access token so the first screen needs no refresh round trip.
    func bootstrap(_ req: Request) async throws -> Response {
        let now = clock.now()
        guard let session = try await sessions.current(await refreshTokens.presented(in: req), client: req.client, on: req.db) else {
            return try jsonResponse(BootstrapResponse(
                authenticated: false, user: nil, csrfToken: try tokens.anonymousCSRF(now: now), accessTokenExpiresAt: nil))
        }
        let access = try tokens.accessToken(for: session.account, session: session.id, sessionExpiresAt: session.expiresAt, now: now)
        let response = try jsonResponse(BootstrapResponse(
            authenticated: true, user: UserDTO(session.account),
            csrfToken: try tokens.sessionCSRF(session.id, sessionExpiresAt: session.expiresAt, now: now),
            accessTokenExpiresAt: iso8601(access.expiresAt)))
        response.setCookie(cookies.accessToken(access.token, sessionExpiresAt: session.expiresAt, now: now))
        return response
    }
}

import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// TOTP and recovery codes: enrolment (`POST /auth/mfa/totp`, `…/confirm`), removal, new recovery
/// codes, and the second step of a password login (`POST /auth/login/second-factor`).
struct SecondFactorController: Capability {
    let store: SecondFactorStore
    let mfaTokens: MFATokens
    let completion: SignInCompletion
    let throttle: LoginThrottle
    let rateLimiter: RateLimiter
    let ledger: SpentTokenLedger
    let signedIn: SignedIn
    let recentAuthentication: RecentAuthentication
    let csrf: AuthCSRF
    let issuerName: String
    let clock: any WallClock

    var migrations: [any Migration] { [CreateSecondFactors()] }

    func boot(routes: any RoutesBuilder) throws {
        let auth = routes.grouped("auth")
        auth.grouped(csrf.require(.anonymousOrSession)).post("login", "second-factor", use: secondFactor)
        let mfa = signedIn.guarding(auth.grouped("mfa")).grouped(csrf.require(.session))
        let sensitive = mfa.grouped(recentAuthentication.required())
        sensitive.post("totp", use: begin)
        mfa.post("totp", "confirm", use: confirm)
        sensitive.delete("totp", use: disable)
        sensitive.post("recovery-codes", use: regenerate)
    }

    struct Enrolment: Content {
        var secret: String
        var otpauthUri: String
    }

    struct CodeRequest: Content {
        var code: String?
    }

    struct RecoveryCodes: Content {
        var recoveryCodes: [String]
    }

    struct SecondFactorRequest: Content {
        var mfaToken: String?
        var code: String?
        var recoveryCode: String?
    }

    func begin(_ req: Request) async throws -> Response {
        let principal = try req.principal
        guard let user = try await UserRecord.find(principal.userID, on: req.db) else { throw Problem.unauthenticated }
        guard let totp = try await store.begin(for: principal.userID, now: clock.now(), on: req.db) else { throw Self.alreadyEnabled }
        return try jsonResponse(Enrolment(secret: Base32.encode(totp.secret), otpauthUri: totp.uri(issuer: issuerName, account: user.email)))
    }

    func confirm(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let code = try Self.code(req.content.decode(CodeRequest.self).code)
        let now = clock.now()
        guard let codes = try await store.confirm(principal.userID, code: code, now: now, on: req.db) else { throw Self.wrongCodeWhileSignedIn }
        try await SecurityEvents.record(.mfaEnabled, user: principal.userID.uuid, session: principal.sessionID.uuid, client: req.client, now: now, on: req.db)
        return try jsonResponse(RecoveryCodes(recoveryCodes: codes))
    }

    func disable(_ req: Request) async throws -> Response {
        let principal = try req.principal
        guard try await store.disable(principal.userID, on: req.db) else { throw Self.notEnabled }
        try await SecurityEvents.record(
            .mfaDisabled, user: principal.userID.uuid, session: principal.sessionID.uuid, client: req.client, now: clock.now(), on: req.db)
        return Response(status: .noContent)
    }

    func regenerate(_ req: Request) async throws -> Response {
        let principal = try req.principal
        guard let codes = try await store.regenerateRecoveryCodes(of: principal.userID, now: clock.now(), on: req.db) else { throw Self.notEnabled }
        return try jsonResponse(RecoveryCodes(recoveryCodes: codes))
    }

    /// The second step of a password login. Each code counts as a login attempt on the account (and
    /// on the client's address); the token dies after five wrong codes; a good code completes the
    /// sign-in exactly as a password alone would have, once.
    func secondFactor(_ req: Request) async throws -> Response {
        let input = try req.content.decode(SecondFactorRequest.self)
        guard let token = input.mfaToken, let claims = await mfaTokens.verify(token) else { throw Self.expiredToken }
        let now = clock.now()
        let attempt = LoginThrottle.Attempt(account: claims.acct, client: req.client, knownDevice: nil)
        try await throttle.count(attempt, now: now, on: req.db.sql)
        if case .limited = try await rateLimiter.hit("mfa-token:\(claims.jti.uuid)", rule: Self.wrongCodesPerToken, now: now, on: req.db.sql) {
            throw Self.expiredToken
        }
        let accepted: Bool
        if let code = input.code, !code.isEmpty {
            accepted = try await store.useCode(code.filter { !$0.isWhitespace }, of: claims.sub, now: now, on: req.db)
        } else if let recovery = input.recoveryCode, !recovery.isEmpty {
            accepted = try await store.useRecoveryCode(recovery, of: claims.sub, now: now, on: req.db)
        } else {
            throw AuthError.validation([.init(field: "code", code: "required", message: "Enter the code from your authenticator app or a recovery code.")])
        }
        guard accepted else {
            try await SecurityEvents.record(.loginFailed, user: claims.sub.uuid, session: nil, client: attempt.client, now: now, on: req.db)
            throw Self.invalidCode
        }
        guard try await ledger.spend(claims.jti, expiresAt: claims.expiresAt, on: req.db),
            let account = try await UserRecord.find(claims.sub, on: req.db)?.account, account.emailVerified
        else { throw Self.expiredToken }
        return try await completion.complete(account, attempt: attempt, now: now, for: req)
    }

    /// Five tries per password: after that the person starts again from the password.
    static let wrongCodesPerToken = RateLimiter.Rule(limit: 5, window: 300)

    private static func code(_ raw: String?) throws -> String {
        guard let code = raw?.filter({ !$0.isWhitespace }), !code.isEmpty else {
            throw AuthError.validation([.init(field: "code", code: "required", message: "Enter the 6-digit code from your authenticator app.")])
        }
        return code
    }

    static let invalidCode = Problem(.unauthorized, code: "invalid_code", title: "Invalid code", detail: "That code is not right; try the current one.")
    /// The same for a signed-in caller: a 400, not a 401 a client could read as "logged out".
    static let wrongCodeWhileSignedIn = Problem(
        .badRequest, code: "invalid_code", title: "Invalid code", detail: "That code is not right; enter the one your app shows now.")
    static let expiredToken = Problem(
        .unauthorized, code: "invalid_code", title: "Sign in again", detail: "This sign-in has expired or had too many wrong codes; enter your password again.")
    static let alreadyEnabled = Problem(
        .conflict, code: "mfa_already_enabled", title: "Already on", detail: "Two-step verification is already on; turn it off first to start again.")
    static let notEnabled = Problem(.notFound, code: "not_found", title: "Not found", detail: "Two-step verification is not on.")
}

import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// Passkeys (WebAuthn Level 3, attestation `none`, ES256 and RS256): registration from the account
/// page, the list, removal, and signing in: with user verification a passkey is a whole sign-in;
/// without it, only the second step after a password (`mfaToken`).
struct PasskeyController: Capability {
    let store: PasskeyStore
    let relyingParty: RelyingParty
    let assertions: PasskeyAssertions
    let rpName: String
    let completion: SignInCompletion
    let mfaTokens: MFATokens
    let ledger: SpentTokenLedger
    let rateLimiter: RateLimiter
    let signedIn: SignedIn
    let recentAuthentication: RecentAuthentication
    let csrf: AuthCSRF
    let cookies: CookiePolicy
    let clock: any WallClock

    var migrations: [any Migration] { [CreatePasskeys()] }

    func boot(routes: any RoutesBuilder) throws {
        let passkeys = routes.grouped("auth", "passkeys")
        let anonymous = passkeys.grouped(csrf.require(.anonymousOrSession))
        anonymous.post("login-options", use: loginOptions)
        anonymous.post("login", use: login)
        let own = signedIn.guarding(passkeys)
        own.get(use: list)
        let changes = own.grouped(csrf.require(.session))
        changes.grouped(recentAuthentication.required()).post("registration-options", use: registrationOptions)
        changes.post(use: register)
        changes.grouped(recentAuthentication.required()).delete(":id", use: remove)
    }

    // MARK: registration

    func registrationOptions(_ req: Request) async throws -> Response {
        let principal = try req.principal
        guard let user = try await UserRecord.find(principal.userID, on: req.db) else { throw Problem.unauthenticated }
        let challenge = try await store.newChallenge(.register, binding: principal.sessionID.uuid, user: principal.userID, now: clock.now(), on: req.db)
        let existing = try await store.credentialIDs(of: principal.userID, on: req.db)
        let userHandle = withUnsafeBytes(of: principal.userID.uuid.uuid) { Data($0) }
        let options: [String: Any] = [
            "rp": ["id": relyingParty.id, "name": rpName],
            "user": ["id": Base64URL.encode(userHandle), "name": user.email, "displayName": "\(user.firstName) \(user.lastName)".trimmingCharacters(in: .whitespaces)],
            "challenge": Base64URL.encode(Data(challenge)),
            "pubKeyCredParams": [["type": "public-key", "alg": -7], ["type": "public-key", "alg": -257]],
            "timeout": Int(store.challengeLifetime * 1000),
            "attestation": "none",
            "authenticatorSelection": ["residentKey": "required", "requireResidentKey": true, "userVerification": "required"],
            "excludeCredentials": existing.map { ["type": "public-key", "id": $0] },
        ]
        return try Self.json(options)
    }

    struct RegisterRequest: Content {
        struct Credential: Content {
            struct Response: Content {
                var clientDataJSON: String
                var attestationObject: String
            }
            var id: String?
            var type: String?
            var response: Response
        }
        var credential: Credential
        var name: String?
    }

    struct PasskeyDTO: Content {
        var id: String
        var name: String
        var createdAt: String
        var lastUsedAt: String?

        /// `lastUsedAt` is `null` until first use, never left out.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(lastUsedAt, forKey: .lastUsedAt)
        }
    }

    func register(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let input = try req.content.decode(RegisterRequest.self)
        let name = (input.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 64, !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw AuthError.validation([.init(field: "name", code: "invalid_format", message: "Name the passkey (at most 64 characters).")])
        }
        guard input.credential.type == "public-key", let clientData = Self.bytes(input.credential.response.clientDataJSON),
            let attestation = Self.bytes(input.credential.response.attestationObject),
            let challenge = Self.challenge(in: clientData)
        else { throw Self.refused(.malformed, status: .badRequest) }
        let now = clock.now()
        guard try await store.spendChallenge(challenge, purpose: .register, binding: principal.sessionID.uuid, now: now, on: req.db) else {
            throw Self.refused(.wrongChallenge, status: .badRequest)
        }
        let credential: RelyingParty.NewCredential
        do {
            credential = try relyingParty.verifyRegistration(
                clientDataJSON: clientData, attestationObject: attestation, challenge: challenge, requireUserVerification: true)
        } catch { throw Self.refused(error, status: .badRequest) }
        guard let added = try await store.add(credential, name: name, to: principal.userID, now: now, on: req.db) else {
            throw Problem(.conflict, code: "passkey_exists", title: "Already registered", detail: "This passkey is already registered.")
        }
        try await SecurityEvents.record(.passkeyAdded, user: principal.userID.uuid, session: principal.sessionID.uuid, client: req.client, now: now, on: req.db)
        return try jsonResponse(Self.dto(added), status: .created)
    }

    func list(_ req: Request) async throws -> Response {
        try jsonResponse(try await store.list(of: try req.principal.userID, on: req.db).map(Self.dto))
    }

    func remove(_ req: Request) async throws -> Response {
        let principal = try req.principal
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw Problem.notFound }
        guard let user = try await UserRecord.find(principal.userID, on: req.db) else { throw Problem.unauthenticated }
        let identities = try await IdentityRecord.query(on: req.db).filter(\.$userID == principal.userID.uuid).count()
        if user.passwordHash == nil, identities == 0, try await store.count(of: principal.userID, on: req.db) <= 1 {
            throw IdentityController.lastSignInMethod
        }
        guard try await store.remove(id, of: principal.userID, on: req.db) else { throw Problem.notFound }
        try await SecurityEvents.record(
            .passkeyRemoved, user: principal.userID.uuid, session: principal.sessionID.uuid, client: req.client, now: clock.now(), on: req.db)
        return Response(status: .noContent)
    }

    // MARK: signing in

    /// Options for `navigator.credentials.get`: no allow-list (discoverable credentials), so the
    /// answer says nothing about which accounts exist or have passkeys.
    func loginOptions(_ req: Request) async throws -> Response {
        let now = clock.now()
        try await rateLimiter.enforce([("passkey:\(req.client.rateLimitKey)", Self.perAddress)], now: now, on: req.db.sql)
        let browser = UUID()
        let challenge = try await store.newChallenge(.authenticate, binding: browser, user: nil, now: now, on: req.db)
        let response = try Self.json([
            "challenge": Base64URL.encode(Data(challenge)), "rpId": relyingParty.id, "timeout": Int(store.challengeLifetime * 1000),
            "userVerification": "required", "allowCredentials": [[String: String]](),
        ] as [String: Any])
        response.setCookie(cookies.webAuthnBrowser(browser.uuidString, until: now + store.challengeLifetime, now: now))
        return response
    }

    struct LoginRequest: Content {
        var credential: AssertionJSON
        var mfaToken: String?
    }

    func login(_ req: Request) async throws -> Response {
        let now = clock.now()
        try await rateLimiter.enforce([("passkey:\(req.client.rateLimitKey)", Self.perAddress)], now: now, on: req.db.sql)
        let input = try req.content.decode(LoginRequest.self)
        // A second step after a password: the passkey must be that account's, and needs no UV.
        let secondStep = await input.mfaToken.asyncMap { await mfaTokens.verify($0) }
        if input.mfaToken != nil, secondStep == nil { throw SecondFactorController.expiredToken }
        let (passkey, data) = try await assertions.verify(
            input.credential, in: req, of: secondStep?.sub, requireUserVerification: secondStep == nil, now: now)
        if let step = secondStep { guard try await ledger.spend(step.jti, expiresAt: step.expiresAt, on: req.db) else { throw SecondFactorController.expiredToken } }
        guard try await store.used(passkey, signCount: data.signCount, now: now, on: req.db),
            let user = try await UserRecord.find(passkey.userID, on: req.db), user.isVerified
        else { throw Self.refused(.counterRegression) }
        let attempt = LoginThrottle.Attempt(account: user.email, client: req.client, knownDevice: nil)
        let response = try await completion.complete(try user.account, attempt: attempt, now: now, for: req)
        response.setCookie(cookies.webAuthnBrowser("", until: now, now: now))
        return response
    }

    // MARK: helpers

    static let perAddress = RateLimiter.Rule(limit: 60, window: 900)

    static func refused(_ rejection: WebAuthnRejection, status: HTTPStatus = .unauthorized) -> Problem {
        Problem(status, code: "passkey_refused", title: "Passkey not accepted",
                detail: "The passkey could not be verified (\(rejection.rawValue)). Try again, or sign in another way.")
    }

    static func bytes(_ base64url: String) -> [UInt8]? { Base64URL.decode(base64url).map(Array.init) }

    static func challenge(in clientData: [UInt8]) -> [UInt8]? {
        (try? JSONDecoder().decode(ClientData.self, from: Data(clientData))).flatMap { Base64URL.decode($0.challenge) }.map(Array.init)
    }

    static func dto(_ passkey: PasskeySummary) -> PasskeyDTO {
        PasskeyDTO(
            id: passkey.id.uuidString.lowercased(), name: passkey.name, createdAt: iso8601(passkey.createdAt),
            lastUsedAt: passkey.lastUsedAt.map(iso8601))
    }

    static func json(_ object: [String: Any]) throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return Response(status: .ok, headers: headers, body: .init(data: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])))
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

import Foundation
import GatehouseCore
import GatehouseDatabase
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import ResourceServer

/// Vapor has a `SessionID` too; in these tests it is always Gatehouse's.
typealias SessionID = GatehouseCore.SessionID

/// A Resource Server in memory that trusts a test key set instead of a live JWKS.
struct ResourceTestServer {
    static let issuer = "http://localhost:9000"
    static let audience = "http://localhost:8080"

    let app: Application
    let clock: ManualClock
    let key: SigningKey

    var tester: any TestingApplicationTester { get throws { try app.testing() } }

    func accessToken(
        user: UserID = .random(), session: SessionID = .random(), ttl: TimeInterval = 900,
        issuer: String = Self.issuer, audience: [String] = [Self.issuer, Self.audience], signer: SigningKey? = nil,
        roles: [String] = ["user"]
    ) throws -> String {
        let now = clock.now()
        return try TokenIssuer(key: signer ?? key).sign(AccessTokenClaims(
            iss: issuer, aud: audience, sub: user, sid: session, issuedAt: now, expiresAt: now + ttl,
            roles: roles, email: "ann@example.com", givenName: "Ann", familyName: "Lee"))
    }

    func csrf(for session: SessionID) throws -> String {
        try TokenIssuer(key: key).sign(CSRFTokenClaims.session(session, issuer: Self.issuer, issuedAt: clock.now(), expiresAt: clock.now() + 3600))
    }

    /// A caller: their access token cookie and their session's CSRF token.
    struct Caller {
        let user: UserID
        let session: SessionID
        let headers: HTTPHeaders
    }

    func caller(roles: [String] = ["user"]) throws -> Caller {
        let user = UserID.random()
        let session = SessionID.random()
        var headers = HTTPHeaders()
        headers.add(name: .cookie, value: "access_token=\(try accessToken(user: user, session: session, roles: roles))")
        headers.add(name: "X-CSRF-TOKEN", value: try csrf(for: session))
        return Caller(user: user, session: session, headers: headers)
    }

    func send(_ method: HTTPMethod, _ path: String, headers: HTTPHeaders, json: [String: any Sendable]? = nil) async throws -> TestingHTTPResponse {
        var headers = headers
        var body: ByteBuffer?
        if let json {
            headers.contentType = .json
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
        }
        return try await tester.sendRequest(method, path, headers: headers, body: body)
    }
}

func withResourceServer(cache: Bool = true, _ body: (ResourceTestServer) async throws -> Void) async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-resource-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    var configuration = ResourceServerConfiguration()
    configuration.database = .sqlite(path: "\(folder.path)/resource.sqlite")
    if let base = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"], ProcessInfo.processInfo.environment["GATEHOUSE_TEST_RESOURCE_ON_POSTGRES"] == "1" {
        configuration.database = .postgres(url: base)
    }
    let key = try SigningKey.generate(.es256)
    let clock = ManualClock(Date())
    let app = try await makeResourceServer(ResourceServerSettings(
        configuration: configuration, environment: .testing, clock: clock, keys: StaticKeys(keys: [key.publicKey]),
        cacheVerifiedTokens: cache))
    try await app.run { app in try await body(ResourceTestServer(app: app, clock: clock, key: key)) }
}

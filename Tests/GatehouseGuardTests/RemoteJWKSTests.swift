import AsyncHTTPClient
import Foundation
import GatehouseCore
import Synchronization
import Testing
import Vapor
@testable import GatehouseGuard

/// A stand-in Auth Server that serves a JWKS we control, counts fetches, and can go down.
final class JWKSStub: Sendable {
    let app: Application
    let keys = Mutex<[SigningKey]>([])
    let fetches = Atomic<Int>(0)
    let down = Atomic<Bool>(false)

    private init(app: Application) { self.app = app }

    static func start() async throws -> JWKSStub {
        let app = try await Application.make(.testing)
        let stub = JWKSStub(app: app)
        app.get(".well-known", "jwks.json") { _ async throws -> Response in
            stub.fetches.add(1, ordering: .relaxed)
            guard !stub.down.load(ordering: .relaxed) else { return Response(status: .serviceUnavailable) }
            let set = PublicJWKSet(keys: stub.keys.withLock { $0.map(\.publicKey.jwk) })
            return Response(status: .ok, body: .init(data: try JSONEncoder().encode(set)))
        }
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        try await app.server.start()
        return stub
    }

    var url: String { "http://127.0.0.1:\(app.http.server.shared.localAddress!.port!)/.well-known/jwks.json" }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }
}

@Suite("Fetching the Auth Server's JWKS")
struct RemoteJWKSTests {
    func withStub(_ body: (JWKSStub, RemoteJWKS, ManualClock) async throws -> Void) async throws {
        let stub = try await JWKSStub.start()
        let clock = ManualClock(Date())
        let jwks = RemoteJWKS(url: stub.url, client: HTTPClient.shared, clock: clock, minimumRefetchInterval: 5, maximumAge: 300)
        do { try await body(stub, jwks, clock) } catch {
            try await stub.stop()
            throw error
        }
        try await stub.stop()
    }

    @Test("a known kid is served from cache after the first fetch")
    func caches() async throws {
        try await withStub { stub, jwks, _ in
            let key = try SigningKey.generate(.es256)
            stub.keys.withLock { $0 = [key] }
            for _ in 0..<20 { #expect(await jwks.verificationKey(for: key.kid) != nil) }
            #expect(stub.fetches.load(ordering: .relaxed) == 1)
        }
    }

    @Test("random unknown kids cause at most one fetch per interval")
    func unknownKidsAreRateLimited() async throws {
        try await withStub { stub, jwks, clock in
            stub.keys.withLock { $0 = [try! SigningKey.generate(.es256)] }
            for _ in 0..<50 { #expect(await jwks.verificationKey(for: UUID().uuidString) == nil) }
            #expect(stub.fetches.load(ordering: .relaxed) == 1)
            clock.advance(by: 6)
            _ = await jwks.verificationKey(for: "still-unknown")
            #expect(stub.fetches.load(ordering: .relaxed) == 2)
        }
    }

    @Test("a rotated key is picked up on its first use, without a restart")
    func picksUpRotation() async throws {
        try await withStub { stub, jwks, clock in
            let old = try SigningKey.generate(.es256)
            stub.keys.withLock { $0 = [old] }
            #expect(await jwks.verificationKey(for: old.kid) != nil)
            let new = try SigningKey.generate(.rs256)
            stub.keys.withLock { $0 = [new, old] }
            clock.advance(by: 6)
            #expect(await jwks.verificationKey(for: new.kid)?.algorithm == .rs256)
            #expect(await jwks.verificationKey(for: old.kid) != nil)
        }
    }

    @Test("when the Auth Server is down, cached keys keep working")
    func survivesOutage() async throws {
        try await withStub { stub, jwks, clock in
            let key = try SigningKey.generate(.es256)
            stub.keys.withLock { $0 = [key] }
            #expect(await jwks.verificationKey(for: key.kid) != nil)
            stub.down.store(true, ordering: .relaxed)
            clock.advance(by: 301)
            #expect(await jwks.verificationKey(for: key.kid) != nil)
            try await Task.sleep(for: .milliseconds(200))
            #expect(await jwks.verificationKey(for: key.kid) != nil)
            #expect(jwks.cachedKeyIDs == [key.kid])
        }
    }
}

@Suite("The verified-token cache")
struct VerifiedTokenCacheTests {
    func claims(expiresIn seconds: TimeInterval, clock: ManualClock) -> AccessTokenClaims {
        AccessTokenClaims(
            iss: "i", aud: ["a"], sub: .random(), sid: .random(), issuedAt: clock.now(), expiresAt: clock.now() + seconds,
            roles: [], email: "e@x.io", givenName: "E", familyName: "X")
    }

    @Test("never returns a token past its exp")
    func honoursExpiry() {
        let clock = ManualClock(Date())
        let cache = VerifiedTokenCache(capacity: 10, clock: clock)
        cache.remember("t", claims: claims(expiresIn: 60, clock: clock))
        #expect(cache.principal(for: "t") != nil)
        clock.advance(by: 61)
        #expect(cache.principal(for: "t") == nil)
    }

    @Test("stays within its capacity")
    func bounded() {
        let clock = ManualClock(Date())
        let cache = VerifiedTokenCache(capacity: 100, clock: clock)
        for index in 0..<1000 { cache.remember("token-\(index)", claims: claims(expiresIn: 60, clock: clock)) }
        #expect(cache.count <= 100)
        #expect(cache.principal(for: "token-999") != nil)
    }
}

@Suite("Reading a cookie")
struct CookieReaderTests {
    @Test("finds the named cookie among others, exactly by name", arguments: [
        ("access_token=abc", "abc"),
        ("a=1; access_token=abc.def-ghi_; refresh_token=zzz", "abc.def-ghi_"),
        ("xaccess_token=no; access_token=yes", "yes"),
        ("access_token=\"quoted\"", "quoted"),
        ("access_token=;other=1", ""),
    ])
    func finds(header: String, expected: String) {
        #expect(Request.cookie(named: "access_token", in: header) == expected)
    }

    @Test("misses what is not there", arguments: ["", "refresh_token=abc", "access_token", "access_tokens=abc", ";;; ="])
    func misses(header: String) {
        #expect(Request.cookie(named: "access_token", in: header) == nil)
    }
}

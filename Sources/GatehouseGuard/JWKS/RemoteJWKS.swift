import AsyncHTTPClient
import Foundation
import GatehouseCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The Auth Server's public keys, fetched from its JWKS over HTTP and cached.
///
/// - A token naming an unknown `kid` triggers a refetch (the Auth Server has rotated), but at most
///   once per `minimumRefetchInterval`, so random `kid`s cannot make it hammer the Auth Server.
/// - The set is refreshed in the background of a request once older than `maximumAge`.
/// - When the Auth Server is unreachable, the cached keys keep serving.
///
/// ```swift
/// let keys = RemoteJWKS(url: "http://localhost:9000/.well-known/jwks.json", client: app.http.client.shared)
/// let verifier = TokenVerifier(keys: keys, issuer: "http://localhost:9000",
///                              audience: "http://localhost:8080", leeway: 30, clock: SystemClock())
/// ```
public final class RemoteJWKS: VerificationKeyProvider {
    private struct State {
        var keys: [String: VerificationKey] = [:]
        var fetchedAt: Date?
        var lastAttempt: Date?
        var inFlight: Task<Void, Never>?
    }

    public let url: String
    private let client: HTTPClient
    private let clock: any WallClock
    private let minimumRefetchInterval: TimeInterval
    private let maximumAge: TimeInterval
    private let timeout: TimeAmount
    private let logger: Logger
    private let state = Mutex(State())

    public init(
        url: String, client: HTTPClient, clock: any WallClock = SystemClock(),
        minimumRefetchInterval: TimeInterval = 5, maximumAge: TimeInterval = 300, timeout: TimeAmount = .seconds(5),
        logger: Logger = Logger(label: "gatehouse.jwks")
    ) {
        self.url = url
        self.client = client
        self.clock = clock
        self.minimumRefetchInterval = minimumRefetchInterval
        self.maximumAge = maximumAge
        self.timeout = timeout
        self.logger = logger
    }

    public func verificationKey(for kid: String) async -> VerificationKey? {
        let now = clock.now()
        let (key, stale) = state.withLock { state -> (VerificationKey?, Bool) in
            let stale = state.fetchedAt.map { now.timeIntervalSince($0) > maximumAge } ?? true
            return (state.keys[kid], stale)
        }
        if let key {
            // Serve from cache; refresh behind the request when old.
            if stale, let task = startFetchIfAllowed(now: now) { _ = task }
            return key
        }
        guard let task = startFetchIfAllowed(now: now) ?? state.withLock({ $0.inFlight }) else { return nil }
        await task.value
        return state.withLock { $0.keys[kid] }
    }

    public func soleKey() async -> VerificationKey? {
        if state.withLock({ $0.fetchedAt == nil }), let task = startFetchIfAllowed(now: clock.now()) { await task.value }
        return state.withLock { $0.keys.count == 1 ? $0.keys.values.first : nil }
    }

    /// Fetches now (ignoring the rate limit), e.g. at start-up. Returns whether it succeeded.
    @discardableResult
    public func refresh() async -> Bool {
        await fetch()
    }

    /// The ids currently cached.
    public var cachedKeyIDs: Set<String> { state.withLock { Set($0.keys.keys) } }

    /// Starts a single-flight fetch unless one ran within `minimumRefetchInterval`.
    private func startFetchIfAllowed(now: Date) -> Task<Void, Never>? {
        state.withLock { state in
            if let inFlight = state.inFlight { return inFlight }
            if let last = state.lastAttempt, now.timeIntervalSince(last) < minimumRefetchInterval { return nil }
            state.lastAttempt = now
            let task = Task { [self] in
                await self.fetch()
                self.state.withLock { $0.inFlight = nil }
            }
            state.inFlight = task
            return task
        }
    }

    private func fetch() async -> Bool {
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await client.execute(request, timeout: timeout)
            guard response.status == .ok else {
                logger.warning("JWKS fetch failed; keeping cached keys", metadata: ["status": "\(response.status.code)"])
                return false
            }
            let body = try await response.body.collect(upTo: 1 << 20)
            let set = try JSONDecoder().decode(PublicJWKSet.self, from: Data(buffer: body))
            // Keys of kinds we do not verify are skipped rather than failing the whole set.
            let keys = set.keys.compactMap { try? VerificationKey(jwk: $0) }
            let now = clock.now()
            state.withLock { state in
                state.keys = Dictionary(keys.map { ($0.kid, $0) }, uniquingKeysWith: { first, _ in first })
                state.fetchedAt = now
            }
            return true
        } catch {
            logger.warning("JWKS fetch failed; keeping cached keys", metadata: ["error": "\(String(describing: type(of: error)))"])
            return false
        }
    }
}

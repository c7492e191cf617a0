import Crypto
import Foundation
import GatehouseCore
import Synchronization

/// Remembers access tokens already verified, so a busy API pays one signature check per token rather
/// than per request. Keyed by the token's SHA-256 (the token itself is never kept), bounded in size,
/// and an entry never outlives its token's `exp` (LESSONS 4: no cache may keep a token alive longer).
///
/// ```swift
/// AccessTokenMiddleware(verifier: verifier, cache: VerifiedTokenCache(capacity: 10_000))
/// ```
public final class VerifiedTokenCache: Sendable {
    private struct Entry {
        let principal: Principal
        let expiresAt: TimeInterval
    }

    private let capacity: Int
    private let clock: any WallClock
    private let entries: Mutex<[SHA256Digest: Entry]>

    public init(capacity: Int = 10_000, clock: any WallClock = SystemClock()) {
        self.capacity = max(1, capacity)
        self.clock = clock
        self.entries = Mutex([:])
    }

    /// The caller `token` proved when it was verified, if that was before and it has not reached `exp`.
    public func principal(for token: String) -> Principal? {
        let key = SHA256.hash(data: Data(token.utf8))
        let now = clock.now().timeIntervalSince1970
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.expiresAt > now else {
                entries[key] = nil
                return nil
            }
            return entry.principal
        }
    }

    public func remember(_ token: String, claims: AccessTokenClaims) {
        let key = SHA256.hash(data: Data(token.utf8))
        let now = clock.now().timeIntervalSince1970
        entries.withLock { entries in
            if entries.count >= capacity {
                // Drop what has expired; if that frees nothing, start over: simple and bounded.
                entries = entries.filter { $0.value.expiresAt > now }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = Entry(principal: Principal(claims), expiresAt: TimeInterval(claims.exp))
        }
    }

    public var count: Int { entries.withLock { $0.count } }
}

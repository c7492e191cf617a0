import Foundation
import Synchronization

/// The live key ring of a running Auth Server, following rotations made by `gatehouse keys rotate`
/// or by another instance sharing the keys directory.
///
/// The directory is listed at most once per `recheckInterval` when signing, and at once when a token
/// names an unknown `kid` (a key another instance has just started using).
public final class KeyStore: VerificationKeyProvider {
    private struct State {
        var ring: KeyRing
        var stamp: String
        var checkedAt: Date
    }

    private let directory: KeyDirectory
    private let clock: any WallClock
    private let recheckInterval: TimeInterval
    private let state: Mutex<State>

    public init(directory: KeyDirectory, clock: any WallClock, recheckInterval: TimeInterval = 1) throws {
        self.directory = directory
        self.clock = clock
        self.recheckInterval = recheckInterval
        let now = clock.now()
        let ring = try directory.loadOrCreate(now: now)
        state = Mutex(State(ring: ring, stamp: directory.stamp(), checkedAt: now))
    }

    /// The ring to sign with and to publish.
    public func ring() -> KeyRing {
        reloadIfChanged(force: false)
    }

    public func verificationKey(for kid: String) async -> VerificationKey? {
        if let key = state.withLock({ $0.ring.verificationKeys[kid] }) { return key }
        return reloadIfChanged(force: true).verificationKeys[kid]
    }

    @discardableResult
    private func reloadIfChanged(force: Bool) -> KeyRing {
        let now = clock.now()
        return state.withLock { state in
            guard force || now.timeIntervalSince(state.checkedAt) >= recheckInterval else { return state.ring }
            state.checkedAt = now
            let stamp = directory.stamp()
            guard stamp != state.stamp else { return state.ring }
            // A half-written or unreadable directory keeps the ring we have rather than failing requests.
            if let ring = try? directory.load(now: now) {
                state.ring = ring
                state.stamp = stamp
            }
            return state.ring
        }
    }
}

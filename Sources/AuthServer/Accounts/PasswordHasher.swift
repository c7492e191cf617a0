import CArgon2
import Foundation
import GatehouseGuard
import NIOCore
import NIOPosix
import Synchronization

/// Argon2id (RFC 9106) through the reference libargon2, run on a thread pool so a hash never blocks
/// an event loop. Parameters follow OWASP: m = 19 MiB, t = 2, p = 1.
///
/// The pool is the hasher's own (``HashingPool``), so a flood of logins or registrations queues
/// behind hashes without delaying the database work of other requests, and the queue is bounded:
/// past it the request is answered `503` with `Retry-After` instead of waiting.
struct PasswordHasher: Sendable {
    struct Parameters: Sendable {
        var memoryKiB: UInt32 = 19 * 1024
        var iterations: UInt32 = 2
        var parallelism: UInt32 = 1
    }

    let parameters: Parameters
    let pool: HashingPool

    /// A hash of a random password, verified against when an account does not exist, so that a
    /// login for an unknown address costs as much as one for a known address.
    let dummyHash: String

    init(parameters: Parameters = Parameters(), pool: HashingPool) throws {
        self.parameters = parameters
        self.pool = pool
        self.dummyHash = try Self.hash(UUID().uuidString, parameters: parameters)
    }

    /// Hashes the NFKC form of `password` (NIST SP 800-63B §3.1.1.2), so the same password typed
    /// on devices that compose characters differently is the same password.
    func hash(_ password: String) async throws -> String {
        let parameters = self.parameters
        let normalised = Self.normalised(password)
        return try await pool.run { try Self.hash(normalised, parameters: parameters) }
    }

    /// Verifies `password` against `encoded`, or against the dummy hash when there is none. A hash
    /// made before passwords were normalised is tried with the password as typed, too.
    func verify(_ password: String, against encoded: String?) async throws -> Bool {
        let target = encoded ?? dummyHash
        let normalised = Self.normalised(password)
        let matches = try await pool.run {
            Self.verify(normalised, encoded: target) || (normalised != password && Self.verify(password, encoded: target))
        }
        return encoded != nil && matches
    }

    static func normalised(_ password: String) -> String {
        password.precomposedStringWithCompatibilityMapping
    }

    private static func hash(_ password: String, parameters: Parameters) throws -> String {
        // The default generator is the system CSPRNG (getrandom on Linux).
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max) }
        let passwordBytes = Array(password.utf8)
        let hashLength = 32
        let encodedLength = argon2_encodedlen(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism,
            UInt32(salt.count), UInt32(hashLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: encodedLength)
        let result = argon2id_hash_encoded(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism,
            passwordBytes, passwordBytes.count, salt, salt.count, hashLength, &encoded, encodedLength)
        guard result == ARGON2_OK.rawValue else { throw PasswordHashError.failed(Int(result)) }
        // The encoding is ASCII ending in NUL.
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func verify(_ password: String, encoded: String) -> Bool {
        let passwordBytes = Array(password.utf8)
        // argon2id_verify compares in constant time.
        return argon2id_verify(encoded, passwordBytes, passwordBytes.count) == ARGON2_OK.rawValue
    }
}

enum PasswordHashError: Error {
    case failed(Int)
}

/// The threads password hashes run on, one per core, with a bounded queue: a hash waits only while
/// fewer than `maximumWaiting` others do; beyond that ``run(_:)`` throws ``HashingPoolFull``.
final class HashingPool: Sendable {
    let threads: NIOThreadPool
    let maximumWaiting: Int
    private let admitted = Atomic<Int>(0)

    init(threads: Int = System.coreCount, maximumWaiting: Int = 64) {
        self.threads = NIOThreadPool(numberOfThreads: threads)
        self.maximumWaiting = maximumWaiting + threads
        self.threads.start()
    }

    /// Hashes in the pool (running or waiting), for metrics.
    var depth: Int { admitted.load(ordering: .relaxed) }

    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard admitted.wrappingAdd(1, ordering: .relaxed).newValue <= maximumWaiting else {
            admitted.wrappingSubtract(1, ordering: .relaxed)
            throw HashingPoolFull()
        }
        defer { admitted.wrappingSubtract(1, ordering: .relaxed) }
        return try await threads.runIfActive(work)
    }

    func shutdown() async {
        try? await threads.shutdownGracefully()
    }
}

/// Too many password hashes are waiting: `503` with `Retry-After`, so a flood costs the flooder
/// time rather than everyone's requests.
struct HashingPoolFull: ProblemConvertible {
    var problem: Problem {
        Problem(
            .serviceUnavailable, code: "busy", title: "Service busy",
            detail: "Too many sign-ins and registrations are being processed; try again in a moment.",
            headers: ["Retry-After": "2"])
    }
}

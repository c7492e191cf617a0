import CArgon2
import Foundation
import NIOPosix

/// Argon2id (RFC 9106) through the reference libargon2, run on a thread pool so a hash never blocks
/// an event loop. Parameters follow OWASP: m = 19 MiB, t = 2, p = 1.
struct PasswordHasher: Sendable {
    struct Parameters: Sendable {
        var memoryKiB: UInt32 = 19 * 1024
        var iterations: UInt32 = 2
        var parallelism: UInt32 = 1
    }

    let parameters: Parameters
    let threadPool: NIOThreadPool

    /// A hash of a random password, verified against when an account does not exist, so that a
    /// login for an unknown address costs as much as one for a known address.
    let dummyHash: String

    init(parameters: Parameters = Parameters(), threadPool: NIOThreadPool) throws {
        self.parameters = parameters
        self.threadPool = threadPool
        self.dummyHash = try Self.hash(UUID().uuidString, parameters: parameters)
    }

    func hash(_ password: String) async throws -> String {
        let parameters = self.parameters
        return try await threadPool.runIfActive { try Self.hash(password, parameters: parameters) }
    }

    /// Verifies `password` against `encoded`, or against the dummy hash when there is none.
    func verify(_ password: String, against encoded: String?) async throws -> Bool {
        let target = encoded ?? dummyHash
        let matches = try await threadPool.runIfActive { Self.verify(password, encoded: target) }
        return encoded != nil && matches
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
        return String(cString: encoded)
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

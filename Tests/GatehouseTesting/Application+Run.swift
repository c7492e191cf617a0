import Vapor
import VaporTesting

extension Application {
    /// Runs `body` against this application and shuts it down afterwards, whether `body` threw or not.
    public func run<T>(_ body: (Application) async throws -> T) async throws -> T {
        let result: T
        do {
            result = try await body(self)
        } catch {
            try await asyncShutdown()
            throw error
        }
        try await asyncShutdown()
        return result
    }
}


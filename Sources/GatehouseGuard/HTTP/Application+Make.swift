import Vapor

extension Application {
    /// A new application listening on `host:port`, configured by `configure`; shut down again if
    /// configuring fails, so a failed start leaks no event loops or connections.
    public static func make(
        _ environment: Environment, host: String, port: Int, configure: (Application) async throws -> Void
    ) async throws -> Application {
        let app = try await Application.make(environment)
        app.http.server.configuration.hostname = host
        app.http.server.configuration.port = port
        // Every Gatehouse request body is small JSON: refuse compressed bodies rather than inflate them
        // (one less place for a decompression bomb, and one less handler on every request's path).
        app.http.server.configuration.requestDecompression = .disabled
        do {
            try await configure(app)
            return app
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}

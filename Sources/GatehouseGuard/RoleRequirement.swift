import Vapor

extension RoutesBuilder {
    /// Routes only callers whose access token carries `role` may use; place behind
    /// ``AccessTokenMiddleware``. Anyone else signed in gets `403 forbidden`; without a token the
    /// access-token middleware has already answered `401`.
    ///
    /// ```swift
    /// let admins = routes.grouped(AccessTokenMiddleware(jwks: jwks, ...)).requireRole("admin")
    /// admins.get("reports", use: reports)
    /// ```
    ///
    /// Roles are read from the token, so a role removed by an administrator still opens these
    /// routes until that token expires (at most the access-token lifetime); an application that
    /// cannot wait checks with the Auth Server.
    public func requireRole(_ role: String) -> any RoutesBuilder {
        grouped(RoleRequirement(role: role))
    }
}

/// The one check behind ``RoutesBuilder/requireRole(_:)``.
public struct RoleRequirement: AsyncMiddleware {
    public let role: String

    public init(role: String) {
        self.role = role
    }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard try request.principal.roles.contains(role) else { throw Problem.forbidden }
        return try await next.respond(to: request)
    }
}

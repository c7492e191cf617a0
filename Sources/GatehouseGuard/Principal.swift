import GatehouseCore
import Vapor

/// The caller, as proven by a verified access token.
public struct Principal: Sendable, Equatable {
    public let userID: UserID
    public let sessionID: GatehouseCore.SessionID
    public let roles: [String]
    public let email: String
    public let givenName: String
    public let familyName: String
    public let expiresAt: Date

    public init(_ claims: AccessTokenClaims) {
        userID = claims.sub
        sessionID = claims.sid
        roles = claims.roles
        email = claims.email
        givenName = claims.given_name
        familyName = claims.family_name
        expiresAt = claims.expiresAt
    }
}

private struct PrincipalKey: StorageKey {
    typealias Value = Principal
}

extension Request {
    /// The authenticated caller; throws `401 unauthenticated` on a route not behind ``AccessTokenMiddleware``.
    public var principal: Principal {
        get throws {
            guard let principal = storage[PrincipalKey.self] else { throw Problem.unauthenticated }
            return principal
        }
    }

    /// The caller when an ``AccessTokenMiddleware`` has authenticated this request, else nil.
    public var authenticatedPrincipal: Principal? { storage[PrincipalKey.self] }

    func authenticate(_ principal: Principal) {
        storage[PrincipalKey.self] = principal
    }
}

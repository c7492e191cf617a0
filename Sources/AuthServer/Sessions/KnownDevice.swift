import Foundation
import GatehouseCore
import Vapor

/// The claims of a known-device cookie: this browser signed in to the account whose address hashes
/// to `acct`. The address, not the account id, because the throttle must decide before it reads the
/// account (and a changed address simply makes the browser unknown again).
struct KnownDeviceClaims: TokenClaims, Equatable {
    static let tokenType = TokenType.device

    var iss: String
    var aud: Audience?
    var iat: Int64
    var nbf: Int64?
    var exp: Int64
    var jti: TokenID
    var acct: String
}

/// Issues and recognises known-device cookies.
struct KnownDevices: Sendable {
    let issuer: TokenIssuer
    let verifier: TokenVerifier
    let authURL: String
    let lifetime: TimeInterval = 365 * 86_400

    /// The device id the request's cookie proves for `account`, or nil (absent, forged, expired, another account's).
    func device(in req: Request, for account: String) async -> TokenID? {
        guard let token = req.cookie(named: CookiePolicy.knownDeviceName),
            let claims = try? await verifier.verify(token, as: KnownDeviceClaims.self),
            Secrets.constantTimeEquals(claims.acct, Self.accountKey(account))
        else { return nil }
        return claims.jti
    }

    /// A cookie that makes this browser known for `account`.
    func cookie(for account: String, policy: CookiePolicy, now: Date) throws -> CookieSpec {
        let claims = KnownDeviceClaims(
            iss: authURL, aud: nil, iat: numericDate(now), nbf: nil, exp: numericDate(now + lifetime), jti: .random(),
            acct: Self.accountKey(account))
        return policy.knownDevice(try issuer.sign(claims), expiresAt: now + lifetime, now: now)
    }

    private static func accountKey(_ account: String) -> String {
        Secrets.sha256Hex("device:" + account)
    }
}

import Foundation
import GatehouseCore

/// The claims of the token between a correct password and the second factor (`mfa+jwt`): whose
/// account, and the address the login counts attempts on. Five minutes; its `jti` is spent when it
/// completes a sign-in, and it dies after five wrong codes.
struct MFATokenClaims: TokenClaims, Equatable {
    static let tokenType = TokenType.mfa

    var iss: String
    var aud: Audience?
    var iat: Int64
    var nbf: Int64?
    var exp: Int64
    var jti: TokenID
    var sub: UserID
    var acct: String
}

struct MFATokens: Sendable {
    let issuer: TokenIssuer
    let verifier: TokenVerifier
    let authURL: String
    let lifetime: TimeInterval = 300

    func issue(for user: UserID, account: String, now: Date) throws -> String {
        try issuer.sign(MFATokenClaims(
            iss: authURL, aud: nil, iat: numericDate(now), nbf: nil, exp: numericDate(now + lifetime), jti: .random(), sub: user,
            acct: account))
    }

    func verify(_ token: String) async -> MFATokenClaims? {
        try? await verifier.verify(token, as: MFATokenClaims.self)
    }
}

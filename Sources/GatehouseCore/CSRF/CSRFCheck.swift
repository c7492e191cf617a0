import Foundation

/// Which CSRF tokens a route takes.
public enum CSRFRequirement: Sendable {
    /// Anonymous (single use, enforced by the caller) or a session token of the caller's own session.
    case anonymousOrSession
    /// Only a session token of the caller's own session; refused when that session is unknown.
    case session
    /// A session token of the caller's own session, or, once the caller's session is gone (cookies
    /// cleared or expired), any genuine session token: for ending a session, which must stay
    /// idempotent (a second logout answers as the first) and acts on nothing when no session is left.
    case sessionOrEnded
}

/// The one CSRF decision, shared by the Auth Server and every resource server: the `X-CSRF-TOKEN`
/// header must hold a genuine `csrf+jwt` of an accepted purpose, and a session token must name the
/// caller's session (OWASP CSRF cheat sheet: signed, session-bound token).
///
/// Single use of anonymous tokens needs shared state and is enforced by the Auth Server after this check.
public struct CSRFCheck: Sendable {
    /// The request header that carries the token.
    public static let headerName = "X-CSRF-TOKEN"

    public let verifier: TokenVerifier

    public init(verifier: TokenVerifier) {
        self.verifier = verifier
    }

    /// The verified token, or nil when the request must be refused with `403 csrf_invalid`.
    /// - Parameter callerSession: the session named by the caller's own cookies, when known.
    public func check(header: String?, requirement: CSRFRequirement, callerSession: SessionID?) async -> CSRFToken? {
        guard let header, !header.isEmpty,
            let claims = try? await verifier.verify(header, as: CSRFTokenClaims.self),
            let token = CSRFToken(claims)
        else { return nil }
        switch (token, requirement) {
        case (.anonymous, .session), (.anonymous, .sessionOrEnded):
            return nil
        case (.anonymous, .anonymousOrSession):
            return token
        case (.session(let sid, _), .session):
            // Fails closed: a route that needs the caller's own session must know that session.
            guard let callerSession, callerSession == sid else { return nil }
            return token
        case (.session(let sid, _), .anonymousOrSession), (.session(let sid, _), .sessionOrEnded):
            // An anonymous route touches no session, and ending an ended session does nothing, so
            // there a session token only proves the request comes from the SPA; when the caller's
            // session is known, it must still be that one.
            if let callerSession, callerSession != sid { return nil }
            return token
        }
    }
}

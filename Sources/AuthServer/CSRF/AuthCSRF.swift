import GatehouseCore
import GatehouseGuard
import Vapor

/// The Auth Server's CSRF middleware, in one place: session tokens bound to the session the caller's
/// own cookies name (``CallerSession``), anonymous tokens spent once in the shared ledger.
struct AuthCSRF: Sendable {
    let verifier: TokenVerifier
    let callerSession: CallerSession
    let ledger: SpentTokenLedger

    func require(_ requirement: CSRFRequirement) -> CSRFMiddleware {
        let callerSession = self.callerSession
        let ledger = self.ledger
        return CSRFMiddleware(
            check: CSRFCheck(verifier: verifier), requirement: requirement,
            callerSession: { await callerSession.of($0) },
            spendAnonymous: { id, expiresAt, request in try await ledger.spend(id, expiresAt: expiresAt, on: request.db) })
    }
}

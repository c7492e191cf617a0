import Fluent
import Foundation
import GatehouseCore
import Vapor

/// `AuthenticationResponseJSON` (WebAuthn L3), its binary members in base64url.
struct AssertionJSON: Content {
    struct Response: Content {
        var clientDataJSON: String
        var authenticatorData: String
        var signature: String
        var userHandle: String?
    }
    var id: String
    var type: String?
    var response: Response
}

/// Verifies a passkey assertion the way every route that takes one must: the challenge is the
/// browser's own (its id in a short-lived HttpOnly cookie), unspent, and spent now; the credential
/// is known (and, when `user` is given, that account's); then the ceremony checks of
/// ``RelyingParty``. A counter that goes backwards is recorded as a security event. The caller
/// records the use (``PasskeyStore/used(_:signCount:now:on:)``) once it has done its own checks.
struct PasskeyAssertions: Sendable {
    let store: PasskeyStore
    let relyingParty: RelyingParty

    func verify(
        _ credential: AssertionJSON, in req: Request, of user: UserID?, requireUserVerification: Bool, now: Date,
        refusedStatus: HTTPStatus = .unauthorized
    ) async throws -> (StoredPasskey, AuthenticatorData) {
        guard credential.type == nil || credential.type == "public-key",
            let credentialID = PasskeyController.bytes(credential.id),
            let clientData = PasskeyController.bytes(credential.response.clientDataJSON),
            let authData = PasskeyController.bytes(credential.response.authenticatorData),
            let signature = PasskeyController.bytes(credential.response.signature),
            let challenge = PasskeyController.challenge(in: clientData)
        else { throw PasskeyController.refused(.malformed, status: refusedStatus) }
        guard let browser = req.cookie(named: CookiePolicy.webAuthnBrowserName).flatMap(UUID.init(uuidString:)),
            try await store.spendChallenge(challenge, purpose: .authenticate, binding: browser, now: now, on: req.db)
        else { throw PasskeyController.refused(.wrongChallenge, status: refusedStatus) }
        guard let passkey = try await store.find(credentialID: credentialID, on: req.db), user == nil || user == passkey.userID else {
            throw PasskeyController.refused(.unknownCredential, status: refusedStatus)
        }
        do {
            let data = try relyingParty.verifyAssertion(
                clientDataJSON: clientData, authenticatorData: authData, signature: signature, challenge: challenge, key: passkey.publicKey,
                storedCount: passkey.signCount, requireUserVerification: requireUserVerification)
            return (passkey, data)
        } catch .counterRegression {
            try await SecurityEvents.record(.passkeyCounterRegression, user: passkey.userID.uuid, session: nil, client: req.client, now: now, on: req.db)
            throw PasskeyController.refused(.counterRegression, status: refusedStatus)
        } catch {
            throw PasskeyController.refused(error, status: refusedStatus)
        }
    }
}

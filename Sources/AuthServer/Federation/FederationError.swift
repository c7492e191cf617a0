import Foundation

/// Why a federated login failed; the raw value is the `code` the SPA explains in words.
enum FederationError: String, Error {
    case accessDenied = "access_denied"
    case invalidState = "invalid_state"
    case providerUnavailable = "provider_unavailable"
    case providerError = "provider_error"
    case unknownProvider = "unknown_provider"
    case emailNotVerified = "email_not_verified"
    case emailMissing = "email_missing"
    /// The address has an account this provider may not join by itself: sign in, then link it.
    case accountExists = "account_exists"
    /// Linking: the provider's account is already linked to another Gatehouse account.
    case identityInUse = "identity_in_use"
    /// Linking: the session that asked for the link ended before the provider answered.
    case sessionExpired = "session_expired"
}

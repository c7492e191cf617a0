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
}

import Foundation

/// An OpenID provider as federated login uses it: where to send the browser, and what a returned
/// code proves. ``OIDCProvider`` talks to a real provider; tests put a fake in its place.
protocol IdentityProvider: Sendable {
    var configuration: OIDCProviderConfiguration { get }

    /// The provider's authorization URL for `state` (its `state`, `nonce` and PKCE challenge).
    func authorizationURL(state: FederationStateClaims, redirectURI: String) async throws(FederationError) -> String

    /// Exchanges `code` and returns the ID token's claims, validated per OIDC Core §3.1.3.7.
    func exchange(code: String, state: FederationStateClaims, redirectURI: String) async throws -> IDTokenClaims
}

/// An OpenID provider configured for federated login.
public struct OIDCProviderConfiguration: Sendable, Equatable {
    public var id: String
    public var name: String
    public var issuer: String
    public var clientID: String
    public var clientSecret: String
    /// Whether a new identity whose provider-verified email matches an existing account is linked to
    /// it automatically (`GATEHOUSE_OIDC_<ID>_LINK_BY_EMAIL`). Only for providers that own the
    /// addresses they vouch for: Google by default, no one else unless configured.
    public var linkByEmail: Bool

    public init(id: String, name: String, issuer: String, clientID: String, clientSecret: String, linkByEmail: Bool? = nil) {
        self.id = id
        self.name = name
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.linkByEmail = linkByEmail ?? (id == "google")
    }
}

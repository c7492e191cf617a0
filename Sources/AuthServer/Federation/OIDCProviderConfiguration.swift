/// An OpenID provider configured for federated login.
public struct OIDCProviderConfiguration: Sendable, Equatable {
    public var id: String
    public var name: String
    public var issuer: String
    public var clientID: String
    public var clientSecret: String

    public init(id: String, name: String, issuer: String, clientID: String, clientSecret: String) {
        self.id = id
        self.name = name
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
    }
}

/// What `gatehouse web` is configured with; every value has the contract's default.
public struct WebServerConfiguration: Sendable {
    /// Written into the served `index.html`, so one build serves every environment.
    public var authURL = "http://localhost:9000"
    public var resourceURL = "http://localhost:8080"
    public var bindHost = "127.0.0.1"
    public var port = 5173
    /// The built SPA.
    public var webRoot = "web/dist"

    public init() {}
}

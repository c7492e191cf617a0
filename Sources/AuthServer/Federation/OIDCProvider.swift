import AsyncHTTPClient
import Foundation
import GatehouseCore
import GatehouseGuard
import NIOCore
import NIOHTTP1
import Synchronization

/// One configured OpenID provider: discovery (cached), the authorization URL, the code exchange and
/// the ID-token validator with the provider's JWKS (cached, refetched on an unknown `kid`).
final class OIDCProvider: IdentityProvider {
    struct Metadata: Decodable {
        var issuer: String
        var authorization_endpoint: String
        var token_endpoint: String
        var jwks_uri: String
    }

    let configuration: OIDCProviderConfiguration
    private let client: HTTPClient
    private let clock: any WallClock
    private let leeway: TimeInterval
    private let discovered = Mutex<(Metadata, RemoteJWKS, Date)?>(nil)

    init(configuration: OIDCProviderConfiguration, client: HTTPClient, clock: any WallClock, leeway: TimeInterval) {
        self.configuration = configuration
        self.client = client
        self.clock = clock
        self.leeway = leeway
    }

    /// The `iss` values accepted: the configured issuer, and Google's other spelling for Google.
    var issuers: Set<String> {
        var issuers: Set<String> = [configuration.issuer]
        if configuration.issuer == "https://accounts.google.com" { issuers.insert("accounts.google.com") }
        return issuers
    }

    /// The discovery document and JWKS, fetched once and kept for an hour.
    func metadata() async throws(FederationError) -> (Metadata, RemoteJWKS) {
        let now = clock.now()
        if let (metadata, jwks, fetchedAt) = discovered.withLock({ $0 }), now.timeIntervalSince(fetchedAt) < 3600 {
            return (metadata, jwks)
        }
        let url = configuration.issuer + "/.well-known/openid-configuration"
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            guard response.status == .ok else { throw FederationError.providerUnavailable }
            let body = try await response.body.collect(upTo: 1 << 20)
            let metadata = try JSONDecoder().decode(Metadata.self, from: Data(buffer: body))
            // OpenID Discovery §4.3: the document must name the issuer we asked.
            guard issuers.contains(metadata.issuer) else { throw FederationError.providerError }
            let jwks = RemoteJWKS(url: metadata.jwks_uri, client: client, clock: clock)
            discovered.withLock { $0 = (metadata, jwks, now) }
            return (metadata, jwks)
        } catch let error as FederationError {
            throw error
        } catch {
            throw .providerUnavailable
        }
    }

    func authorizationURL(state: FederationStateClaims, redirectURI: String) async throws(FederationError) -> String {
        let (metadata, _) = try await metadata()
        guard var components = URLComponents(string: metadata.authorization_endpoint) else { throw .providerError }
        components.queryItems = (components.queryItems ?? []) + [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: configuration.clientID),
            URLQueryItem(name: "redirect_uri", value: redirectURI),
            URLQueryItem(name: "scope", value: "openid email profile"),
            URLQueryItem(name: "state", value: state.state),
            URLQueryItem(name: "nonce", value: state.nonce),
            URLQueryItem(name: "code_challenge", value: state.codeChallenge),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        guard let url = components.string else { throw .providerError }
        return url
    }

    /// Exchanges the code (client_secret_basic + PKCE verifier) and validates the ID token.
    func exchange(code: String, state: FederationStateClaims, redirectURI: String) async throws -> IDTokenClaims {
        let (metadata, jwks) = try await metadata()
        var request = HTTPClientRequest(url: metadata.token_endpoint)
        request.method = .POST
        let form = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("code_verifier", state.code_verifier),
        ].map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&")
        // RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
        let credentials = "\(Self.formEncode(configuration.clientID)):\(Self.formEncode(configuration.clientSecret))"
        request.headers.add(name: "Authorization", value: "Basic " + Data(credentials.utf8).base64EncodedString())
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: form))
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .seconds(10))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw FederationError.providerUnavailable
        }
        struct TokenResponse: Decodable { var id_token: String? }
        guard response.status == .ok,
            let idToken = (try? JSONDecoder().decode(TokenResponse.self, from: Data(buffer: body)))?.id_token
        else { throw FederationError.providerError }
        let validator = IDTokenValidator(keys: jwks, issuers: issuers, clientID: configuration.clientID, leeway: leeway, clock: clock)
        return try await validator.validate(idToken, nonce: state.nonce)
    }

    private static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

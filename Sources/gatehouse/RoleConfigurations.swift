import AuthServer
import Foundation
import GatehouseCore
import GatehouseGuard
import ResourceServer
import WebServer

/// The one place that turns `GATEHOUSE_*` variables into each role's configuration. The defaults are
/// the configuration types' own, so a variable left unset keeps the contract's default.
extension AuthServerConfiguration {
    init(environment env: [String: String]) throws {
        let reader = EnvironmentReader(env: env)
        self.init()
        database = try reader.database("GATEHOUSE_DATABASE_URL", database)
        authURL = try reader.url("GATEHOUSE_AUTH_URL", authURL)
        resourceURL = try reader.url("GATEHOUSE_RESOURCE_URL", resourceURL)
        spaURL = try reader.url("GATEHOUSE_SPA_URL", spaURL)
        bindHost = reader.string("GATEHOUSE_BIND_HOST", bindHost)
        port = try reader.port("GATEHOUSE_AUTH_PORT", port)
        accessTokenTTL = try reader.seconds("GATEHOUSE_ACCESS_TOKEN_TTL", accessTokenTTL, minimum: 1)
        refreshTokenTTL = try reader.seconds("GATEHOUSE_REFRESH_TOKEN_TTL", refreshTokenTTL, minimum: 1)
        sessionMaxAge = try reader.seconds("GATEHOUSE_SESSION_MAX_AGE", sessionMaxAge, minimum: 1)
        refreshGrace = try reader.seconds("GATEHOUSE_REFRESH_GRACE", refreshGrace, minimum: 0)
        clockLeeway = try reader.seconds("GATEHOUSE_CLOCK_LEEWAY", clockLeeway, minimum: 0)
        smtpURL = reader.optional("GATEHOUSE_SMTP_URL")
        if let smtpURL, !["smtp://", "smtps://", "smtp+insecure://"].contains(where: { smtpURL.lowercased().hasPrefix($0) }) {
            throw ConfigurationError(
                name: "GATEHOUSE_SMTP_URL", reason: "expected smtp://[user:pass@]host:port, smtps://... or smtp+insecure://...")
        }
        outboxDirectory = reader.string("GATEHOUSE_OUTBOX_DIR", outboxDirectory)
        mailFrom = reader.string("GATEHOUSE_MAIL_FROM", mailFrom)
        keysDirectory = reader.string("GATEHOUSE_KEYS_DIR", keysDirectory)
        guard let algorithm = SigningAlgorithm(rawValue: reader.string("GATEHOUSE_SIGNING_ALG", signingAlgorithm.rawValue).uppercased())
        else { throw ConfigurationError(name: "GATEHOUSE_SIGNING_ALG", reason: "expected ES256 or RS256") }
        signingAlgorithm = algorithm
        cookieSecure = try reader.bool("GATEHOUSE_COOKIE_SECURE", cookieSecure)
        cookieDomain = reader.optional("GATEHOUSE_COOKIE_DOMAIN")
        providers = try reader.providers()
        metricsToken = reader.optional("GATEHOUSE_METRICS_TOKEN")
        if let receivers = reader.optional("GATEHOUSE_EVENT_RECEIVERS") {
            let urls = receivers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if urls != ["none"] {
                for url in urls where URL(string: url)?.scheme.map({ ["http", "https"].contains($0) }) != true {
                    throw ConfigurationError(name: "GATEHOUSE_EVENT_RECEIVERS", reason: "expected http(s) URLs separated by commas, or none")
                }
            }
            eventReceivers = urls == ["none"] ? [] : urls
        }
        if let scale = reader.optional("GATEHOUSE_RATE_LIMIT_SCALE") {
            guard let value = Double(scale), value >= 0.01, value <= 10_000 else {
                throw ConfigurationError(name: "GATEHOUSE_RATE_LIMIT_SCALE", reason: "expected a number from 0.01 to 10000")
            }
            rateLimitScale = value
        }
        switch TrustedProxies.parse(reader.string("GATEHOUSE_TRUSTED_PROXIES", "")) {
        case .success(let proxies): trustedProxies = proxies
        case .failure(let invalid):
            throw ConfigurationError(name: "GATEHOUSE_TRUSTED_PROXIES", reason: "'\(invalid.entry)' is neither an address nor a CIDR")
        }
    }
}

extension ResourceServerConfiguration {
    init(environment env: [String: String]) throws {
        let reader = EnvironmentReader(env: env)
        self.init()
        database = try reader.database("GATEHOUSE_RESOURCE_DATABASE_URL", database)
        authURL = try reader.url("GATEHOUSE_AUTH_URL", authURL)
        resourceURL = try reader.url("GATEHOUSE_RESOURCE_URL", resourceURL)
        spaURL = try reader.url("GATEHOUSE_SPA_URL", spaURL)
        bindHost = reader.string("GATEHOUSE_BIND_HOST", bindHost)
        port = try reader.port("GATEHOUSE_RESOURCE_PORT", port)
        clockLeeway = try reader.seconds("GATEHOUSE_CLOCK_LEEWAY", clockLeeway, minimum: 0)
        metricsToken = reader.optional("GATEHOUSE_METRICS_TOKEN")
    }
}

extension WebServerConfiguration {
    init(environment env: [String: String]) throws {
        let reader = EnvironmentReader(env: env)
        self.init()
        authURL = try reader.url("GATEHOUSE_AUTH_URL", authURL)
        resourceURL = try reader.url("GATEHOUSE_RESOURCE_URL", resourceURL)
        bindHost = reader.string("GATEHOUSE_BIND_HOST", bindHost)
        port = try reader.port("GATEHOUSE_WEB_PORT", port)
        webRoot = reader.string("GATEHOUSE_WEB_ROOT", webRoot)
    }
}

extension EnvironmentReader {
    /// Google (`GATEHOUSE_GOOGLE_*`) and every provider listed in `GATEHOUSE_OIDC_PROVIDERS`.
    func providers() throws -> [OIDCProviderConfiguration] {
        var result: [OIDCProviderConfiguration] = []
        if let id = optional("GATEHOUSE_GOOGLE_CLIENT_ID") {
            guard let secret = optional("GATEHOUSE_GOOGLE_CLIENT_SECRET") else {
                throw ConfigurationError(name: "GATEHOUSE_GOOGLE_CLIENT_SECRET", reason: "required with GATEHOUSE_GOOGLE_CLIENT_ID")
            }
            result.append(.init(
                id: "google", name: "Google", issuer: try url("GATEHOUSE_GOOGLE_ISSUER", "https://accounts.google.com"),
                clientID: id, clientSecret: secret, linkByEmail: try bool("GATEHOUSE_OIDC_GOOGLE_LINK_BY_EMAIL", true)))
        }
        let ids = (optional("GATEHOUSE_OIDC_PROVIDERS") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        for id in ids {
            guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), id != "google" else {
                throw ConfigurationError(name: "GATEHOUSE_OIDC_PROVIDERS", reason: "provider ids are letters, digits, - and _")
            }
            let prefix = "GATEHOUSE_OIDC_\(id.uppercased().replacingOccurrences(of: "-", with: "_"))_"
            guard let issuer = optional(prefix + "ISSUER"), let client = optional(prefix + "CLIENT_ID"),
                let secret = optional(prefix + "CLIENT_SECRET")
            else { throw ConfigurationError(name: prefix + "*", reason: "ISSUER, CLIENT_ID and CLIENT_SECRET are required") }
            result.append(.init(
                id: id, name: optional(prefix + "NAME") ?? id.capitalized,
                issuer: try url(prefix + "ISSUER", issuer), clientID: client, clientSecret: secret,
                linkByEmail: try bool(prefix + "LINK_BY_EMAIL", false)))
        }
        return result
    }
}

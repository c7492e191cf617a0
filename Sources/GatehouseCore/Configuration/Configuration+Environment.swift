import Foundation

extension Configuration {
    /// The defaults: a working local setup with nothing set.
    public static var defaults: Configuration {
        // Force-try is safe: the literals below are valid by inspection and covered by a test.
        try! Configuration(environment: [:])
    }

    /// The one place that reads `GATEHOUSE_*` variables. Durations are whole seconds.
    public init(environment env: [String: String]) throws(ConfigurationError) {
        let reader = EnvironmentReader(env: env)
        databaseURL = try DatabaseLocation(url: reader.string("GATEHOUSE_DATABASE_URL", "sqlite://.data/gatehouse.sqlite"))
        resourceDatabaseURL = try DatabaseLocation(
            url: reader.string("GATEHOUSE_RESOURCE_DATABASE_URL", "sqlite://.data/resource.sqlite"))
        authURL = try reader.url("GATEHOUSE_AUTH_URL", "http://localhost:9000")
        resourceURL = try reader.url("GATEHOUSE_RESOURCE_URL", "http://localhost:8080")
        spaURL = try reader.url("GATEHOUSE_SPA_URL", "http://localhost:5173")
        bindHost = reader.string("GATEHOUSE_BIND_HOST", "127.0.0.1")
        authPort = try reader.port("GATEHOUSE_AUTH_PORT", 9000)
        resourcePort = try reader.port("GATEHOUSE_RESOURCE_PORT", 8080)
        webPort = try reader.port("GATEHOUSE_WEB_PORT", 5173)
        accessTokenTTL = try reader.seconds("GATEHOUSE_ACCESS_TOKEN_TTL", 900, minimum: 1)
        refreshTokenTTL = try reader.seconds("GATEHOUSE_REFRESH_TOKEN_TTL", 1_209_600, minimum: 1)
        sessionMaxAge = try reader.seconds("GATEHOUSE_SESSION_MAX_AGE", 2_592_000, minimum: 1)
        refreshGrace = try reader.seconds("GATEHOUSE_REFRESH_GRACE", 5, minimum: 0)
        clockLeeway = try reader.seconds("GATEHOUSE_CLOCK_LEEWAY", 30, minimum: 0)
        smtpURL = reader.optional("GATEHOUSE_SMTP_URL")
        outboxDirectory = reader.string("GATEHOUSE_OUTBOX_DIR", ".data/outbox")
        mailFrom = reader.string("GATEHOUSE_MAIL_FROM", "Gatehouse <no-reply@localhost>")
        keysDirectory = reader.string("GATEHOUSE_KEYS_DIR", ".data/keys")
        let alg = reader.string("GATEHOUSE_SIGNING_ALG", "ES256")
        guard let algorithm = SigningAlgorithm(rawValue: alg.uppercased()) else {
            throw .invalid("GATEHOUSE_SIGNING_ALG", "expected ES256 or RS256")
        }
        signingAlgorithm = algorithm
        cookieSecure = try reader.bool("GATEHOUSE_COOKIE_SECURE", true)
        cookieDomain = reader.optional("GATEHOUSE_COOKIE_DOMAIN")
        providers = try reader.providers()
        webRoot = reader.string("GATEHOUSE_WEB_ROOT", "web/dist")
        if let smtpURL, !(smtpURL.hasPrefix("smtp://") || smtpURL.hasPrefix("smtps://")) {
            throw .invalid("GATEHOUSE_SMTP_URL", "expected smtp://[user:pass@]host:port or smtps://...")
        }
    }
}

/// Typed reads of the environment, each failing with the variable's name.
private struct EnvironmentReader {
    let env: [String: String]

    func optional(_ name: String) -> String? {
        guard let value = env[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func string(_ name: String, _ fallback: String) -> String { optional(name) ?? fallback }

    func url(_ name: String, _ fallback: String) throws(ConfigurationError) -> String {
        var value = string(name, fallback)
        while value.hasSuffix("/") { value.removeLast() }
        guard let url = URL(string: value), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else { throw .invalid(name, "expected an absolute http(s) URL") }
        return value
    }

    func port(_ name: String, _ fallback: Int) throws(ConfigurationError) -> Int {
        guard let raw = optional(name) else { return fallback }
        guard let port = Int(raw), (1...65535).contains(port) else { throw .invalid(name, "expected a port number") }
        return port
    }

    func seconds(_ name: String, _ fallback: Int, minimum: Int) throws(ConfigurationError) -> TimeInterval {
        guard let raw = optional(name) else { return TimeInterval(fallback) }
        guard let value = Int(raw), value >= minimum else {
            throw .invalid(name, "expected whole seconds, at least \(minimum)")
        }
        return TimeInterval(value)
    }

    func bool(_ name: String, _ fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let raw = optional(name)?.lowercased() else { return fallback }
        switch raw {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw .invalid(name, "expected true or false")
        }
    }

    func providers() throws(ConfigurationError) -> [OIDCProviderConfiguration] {
        var result: [OIDCProviderConfiguration] = []
        if let id = optional("GATEHOUSE_GOOGLE_CLIENT_ID") {
            guard let secret = optional("GATEHOUSE_GOOGLE_CLIENT_SECRET") else {
                throw .invalid("GATEHOUSE_GOOGLE_CLIENT_SECRET", "required with GATEHOUSE_GOOGLE_CLIENT_ID")
            }
            result.append(.init(
                id: "google", name: "Google",
                issuer: try url("GATEHOUSE_GOOGLE_ISSUER", "https://accounts.google.com"),
                clientID: id, clientSecret: secret))
        }
        let ids = (optional("GATEHOUSE_OIDC_PROVIDERS") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        for id in ids {
            guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), id != "google" else {
                throw .invalid("GATEHOUSE_OIDC_PROVIDERS", "provider ids are letters, digits, - and _")
            }
            let prefix = "GATEHOUSE_OIDC_\(id.uppercased().replacingOccurrences(of: "-", with: "_"))_"
            guard let issuer = optional(prefix + "ISSUER"), let client = optional(prefix + "CLIENT_ID"),
                let secret = optional(prefix + "CLIENT_SECRET")
            else { throw .invalid(prefix + "*", "ISSUER, CLIENT_ID and CLIENT_SECRET are required") }
            result.append(.init(
                id: id, name: optional(prefix + "NAME") ?? id.capitalized,
                issuer: try url(prefix + "ISSUER", issuer), clientID: client, clientSecret: secret))
        }
        return result
    }
}

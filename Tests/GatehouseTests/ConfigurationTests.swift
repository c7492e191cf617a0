import AuthServer
import GatehouseCore
import GatehouseDatabase
import Logging
import ResourceServer
import Testing
import WebServer
@testable import gatehouse

@Suite("Configuration")
struct ConfigurationTests {
    @Test("defaults give a working local setup")
    func defaults() throws {
        let config = try AuthServerConfiguration(environment: [:])
        #expect(config.database == .sqlite(path: ".data/gatehouse.sqlite"))
        #expect(config.authURL == "http://localhost:9000" && config.port == 9000)
        #expect(config.accessTokenTTL == 900 && config.refreshGrace == 5 && config.signingAlgorithm == .es256)
        #expect(config.cookieSecure && config.providers.isEmpty)
        let resource = try ResourceServerConfiguration(environment: [:])
        #expect(resource.database == .sqlite(path: ".data/resource.sqlite") && resource.port == 8080)
        let web = try WebServerConfiguration(environment: [:])
        #expect(web.webRoot == "web/dist" && web.port == 5173)
    }

    @Test("bad values are refused with the variable's name")
    func refusesBadValues() {
        for (name, value) in [("GATEHOUSE_ACCESS_TOKEN_TTL", "soon"), ("GATEHOUSE_AUTH_URL", "localhost"), ("GATEHOUSE_SIGNING_ALG", "HS256"),
                              ("GATEHOUSE_DATABASE_URL", "mysql://x"), ("GATEHOUSE_COOKIE_SECURE", "maybe"), ("GATEHOUSE_AUTH_PORT", "70000")] {
            #expect(throws: ConfigurationError.self) { try AuthServerConfiguration(environment: [name: value]) }
        }
    }

    @Test("providers are read by id")
    func providers() throws {
        let config = try AuthServerConfiguration(environment: [
            "GATEHOUSE_GOOGLE_CLIENT_ID": "g", "GATEHOUSE_GOOGLE_CLIENT_SECRET": "s",
            "GATEHOUSE_OIDC_PROVIDERS": "gitlab", "GATEHOUSE_OIDC_GITLAB_ISSUER": "https://gitlab.example",
            "GATEHOUSE_OIDC_GITLAB_CLIENT_ID": "c", "GATEHOUSE_OIDC_GITLAB_CLIENT_SECRET": "s", "GATEHOUSE_OIDC_GITLAB_NAME": "GitLab",
        ])
        #expect(config.providers.map(\.id) == ["google", "gitlab"])
        #expect(config.providers[1].name == "GitLab")
    }
}

@Suite("Logging")
struct LoggingTests {
    final class Recorder: LogHandler, @unchecked Sendable {
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        var lines: [(String, Logger.Metadata)] = []
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            lines.append(("\(message)", metadata ?? [:]))
        }
    }

    @Test("bind values of SQL statements never reach a log line, whatever the level (L11)")
    func bindsAreWithheld() {
        let recorder = Recorder()
        var logger = Logger(label: "test") { _ in RedactingLogHandler(wrapped: recorder) }
        logger.logLevel = .trace
        logger.trace("Executing query", metadata: ["sql": "SELECT 1 WHERE hash = $1", "binds": ["$argon2id$v=19$secret"]])
        #expect(recorder.lines.count == 1)
        #expect(recorder.lines[0].1["sql"] != nil)
        #expect(recorder.lines[0].1["binds"] == nil)
    }
}

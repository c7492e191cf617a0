import Foundation
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

@Suite("Rate-limit scale")
struct RateLimitScaleTests {
    @Test("GATEHOUSE_RATE_LIMIT_SCALE multiplies the limits; nonsense is refused naming the variable")
    func scale() throws {
        #expect(try AuthServerConfiguration(environment: [:]).rateLimitScale == 1)
        #expect(try AuthServerConfiguration(environment: ["GATEHOUSE_RATE_LIMIT_SCALE": "2.5"]).rateLimitScale == 2.5)
        for bad in ["0", "lots", "100000"] {
            #expect(throws: (any Error).self) { try AuthServerConfiguration(environment: ["GATEHOUSE_RATE_LIMIT_SCALE": bad]) }
        }
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

    @Test("Vapor's trace lines of decoded HTTP parts are withheld; JWTs, Argon2 hashes and token= values are masked anywhere")
    func secretsAreMasked() {
        let recorder = Recorder()
        var logger = Logger(label: "test") { _ in RedactingLogHandler(wrapped: recorder) }
        logger.logLevel = .trace
        logger.trace("Decoded HTTP part: head(POST /auth/login, Cookie: refresh_token=abc)")
        logger.info("sent eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl and $argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                    metadata: ["url": "http://localhost:9000/auth/confirm-account?token=o5whMT0nD6m8Zc3g7ZHRncjAR_8i72xvtOHM_F4r6Pc"])
        logger.info("nothing secret here")
        #expect(recorder.lines[0].0 == "Decoded HTTP part (withheld: may hold credentials)")
        #expect(recorder.lines[1].0 == "sent <jwt> and <argon2 hash>")
        #expect("\(recorder.lines[1].1["url"]!)" == "http://localhost:9000/auth/confirm-account?token=<secret>")
        #expect(recorder.lines[2].0 == "nothing secret here")
    }
}

@Suite("JSON logs")
struct JSONLogTests {
    @Test("LOG_FORMAT=json writes one JSON object a line with time, level, logger, message and metadata")
    func oneObjectALine() throws {
        let lines = LockedLines()
        var logger = Logger(label: "gatehouse.test") { label in
            RedactingLogHandler(wrapped: JSONLogHandler(label: label, write: { lines.append($0) }))
        }
        logger.logLevel = .trace
        logger.info("mail delivery failed", metadata: ["attempt": "2", "binds": ["secret"]])
        let all = lines.all
        #expect(all.count == 1 && !all[0].contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(all[0].utf8)) as? [String: String])
        #expect(object["level"] == "info" && object["logger"] == "gatehouse.test" && object["message"] == "mail delivery failed")
        #expect(object["attempt"] == "2" && object["binds"] == nil && object["time"]?.hasSuffix("Z") == true)
    }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

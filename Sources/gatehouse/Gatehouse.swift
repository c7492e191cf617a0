import ArgumentParser
import AuthServer
import Foundation
import GatehouseCore
import GatehouseDatabase
import Logging
import ResourceServer
import Vapor
import WebServer

@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "Self-hosted authentication: Auth Server, Resource Server and SPA.",
        version: Actuator.version,
        subcommands: [Auth.self, Resource.self, Web.self, Dev.self, Keys.self, Users.self, Events.self])
}

/// Flags shared by every server role; each overrides its environment variable.
struct CommonOptions: ParsableArguments {
    @ArgumentParser.Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env LOG_LEVEL).")
    var log: Logger.Level?

    @ArgumentParser.Option(help: "Database URL (env GATEHOUSE_DATABASE_URL).")
    var databaseURL: String?

    @ArgumentParser.Option(help: "Keys directory (env GATEHOUSE_KEYS_DIR).")
    var keysDir: String?

    /// The process environment with these flags (and `extra`) on top: flags override variables.
    func environment(extra: [String: String?] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        let overrides: [String: String?] = ["GATEHOUSE_DATABASE_URL": databaseURL, "GATEHOUSE_KEYS_DIR": keysDir]
        for (name, value) in overrides.merging(extra, uniquingKeysWith: { $1 }) {
            if let value { environment[name] = value }
        }
        return environment
    }

    /// A role's configuration from `environment`, or a usage error naming the variable at fault.
    func configuration<Configuration>(
        _ read: ([String: String]) throws -> Configuration, extra: [String: String?] = [:]
    ) throws -> Configuration {
        do {
            return try read(environment(extra: extra))
        } catch {
            throw ValidationError("configuration: \(error)")
        }
    }

    func bootstrapLogging(default fallback: Logger.Level = .info) {
        let level = log ?? ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? fallback
        let json = ProcessInfo.processInfo.environment["LOG_FORMAT"]?.lowercased() == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return RedactingLogHandler(wrapped: handler)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Runs Vapor applications until they are told to stop (SIGINT / SIGTERM).
enum Runner {
    static func run(_ apps: [Application]) async throws {
        do {
            for app in apps { try await app.startup() }
            for app in apps { try await app.running?.onStop.get() }
        } catch {
            for app in apps { try? await app.asyncShutdown() }
            throw error
        }
        for app in apps { try await app.asyncShutdown() }
    }

    static func environment() -> Environment {
        Environment(name: "production", arguments: ["gatehouse"])
    }
}

struct Auth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Auth Server (default 127.0.0.1:9000).")

    @ArgumentParser.OptionGroup var options: CommonOptions
    @ArgumentParser.Option(help: "Port (env GATEHOUSE_AUTH_PORT).") var port: Int?

    func run() async throws {
        options.bootstrapLogging()
        let config = try options.configuration(AuthServerConfiguration.init(environment:), extra: ["GATEHOUSE_AUTH_PORT": port.map(String.init)])
        let app = try await makeAuthServer(AuthServerSettings(configuration: config, environment: Runner.environment()))
        try await Runner.run([app])
    }
}

struct Resource: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Resource Server (default 127.0.0.1:8080).")

    @ArgumentParser.OptionGroup var options: CommonOptions
    @ArgumentParser.Option(help: "Port (env GATEHOUSE_RESOURCE_PORT).") var port: Int?

    func run() async throws {
        options.bootstrapLogging()
        let config = try options.configuration(ResourceServerConfiguration.init(environment:), extra: ["GATEHOUSE_RESOURCE_PORT": port.map(String.init)])
        let app = try await makeResourceServer(ResourceServerSettings(configuration: config, environment: Runner.environment()))
        try await Runner.run([app])
    }
}

struct Web: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the built SPA (default 127.0.0.1:5173).")

    @ArgumentParser.OptionGroup var options: CommonOptions
    @ArgumentParser.Option(help: "Port (env GATEHOUSE_WEB_PORT).") var port: Int?
    @ArgumentParser.Option(help: "Folder of the built SPA (env GATEHOUSE_WEB_ROOT, default web/dist).") var root: String?

    func run() async throws {
        options.bootstrapLogging()
        let config = try options.configuration(
            WebServerConfiguration.init(environment:), extra: ["GATEHOUSE_WEB_PORT": port.map(String.init), "GATEHOUSE_WEB_ROOT": root])
        let app = try await makeWebServer(WebServerSettings(configuration: config, environment: Runner.environment()))
        try await Runner.run([app])
    }
}

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every role in one process on embedded defaults (SQLite, mail to the outbox folder).")

    @ArgumentParser.OptionGroup var options: CommonOptions

    func run() async throws {
        options.bootstrapLogging()
        let config = try options.configuration(AuthServerConfiguration.init(environment:))
        let web = try options.configuration(WebServerConfiguration.init(environment:))
        var settings = AuthServerSettings(configuration: config, environment: Runner.environment())
        settings.logMailLinks = true  // trying it out on one machine: click the link in the log
        let auth = try await makeAuthServer(settings)
        let resource = try await makeResourceServer(ResourceServerSettings(
            configuration: try options.configuration(ResourceServerConfiguration.init(environment:)), environment: Runner.environment()))
        let spa = try await makeWebServer(WebServerSettings(configuration: web, environment: Runner.environment()))
        print("""
            Gatehouse is running: open \(config.spaURL)
              SPA              \(config.spaURL)   (serving \(web.webRoot))
              Auth Server      \(config.authURL)   (JWKS: \(config.authURL)/.well-known/jwks.json)
              Resource Server  \(config.resourceURL)
              Mail             \(config.smtpURL == nil ? "written to \(config.outboxDirectory) (links are logged)" : "sent through SMTP")
            """)
        try await Runner.run([auth, resource, spa])
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage signing keys.", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new signing key current; older keys keep verifying until their tokens expire.")

        @ArgumentParser.OptionGroup var options: CommonOptions

        func run() async throws {
            let config = try options.configuration(AuthServerConfiguration.init(environment:))
            let directory = KeyDirectory(
                path: config.keysDirectory, algorithm: config.signingAlgorithm, retention: config.longestTokenLifetime)
            let kid = try directory.rotate(now: Date())
            print("New signing key \(kid) (\(config.signingAlgorithm.rawValue)) is current in \(config.keysDirectory).")
        }
    }
}

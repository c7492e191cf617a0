import Foundation
import GatehouseDatabase

/// A configuration variable that could not be used: its name and why, never its value.
struct ConfigurationError: Error, CustomStringConvertible {
    let name: String
    let reason: String

    var description: String { "\(name): \(reason)" }
}

/// Typed reads of `GATEHOUSE_*` variables, each failing with the variable's name. Durations are whole
/// seconds; empty values count as unset.
struct EnvironmentReader {
    let env: [String: String]

    func optional(_ name: String) -> String? {
        guard let value = env[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func string(_ name: String, _ fallback: String) -> String { optional(name) ?? fallback }

    func url(_ name: String, _ fallback: String) throws -> String {
        var value = string(name, fallback)
        while value.hasSuffix("/") { value.removeLast() }
        guard let url = URL(string: value), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else { throw ConfigurationError(name: name, reason: "expected an absolute http(s) URL") }
        return value
    }

    func port(_ name: String, _ fallback: Int) throws -> Int {
        guard let raw = optional(name) else { return fallback }
        guard let port = Int(raw), (1...65535).contains(port) else { throw ConfigurationError(name: name, reason: "expected a port number") }
        return port
    }

    func seconds(_ name: String, _ fallback: TimeInterval, minimum: Int) throws -> TimeInterval {
        guard let raw = optional(name) else { return fallback }
        guard let value = Int(raw), value >= minimum else {
            throw ConfigurationError(name: name, reason: "expected whole seconds, at least \(minimum)")
        }
        return TimeInterval(value)
    }

    func bool(_ name: String, _ fallback: Bool) throws -> Bool {
        guard let raw = optional(name)?.lowercased() else { return fallback }
        switch raw {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError(name: name, reason: "expected true or false")
        }
    }

    func database(_ name: String, _ fallback: DatabaseLocation) throws -> DatabaseLocation {
        guard let raw = optional(name) else { return fallback }
        guard let location = DatabaseLocation(url: raw) else {
            throw ConfigurationError(name: name, reason: "expected sqlite://PATH or postgres://user:pass@host:port/db")
        }
        return location
    }
}

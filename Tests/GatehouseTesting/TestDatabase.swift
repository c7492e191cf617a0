import Foundation
import GatehouseDatabase
import Testing

/// The databases the suite runs on: SQLite always, PostgreSQL when the test script started one.
public enum TestDatabase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    public static var available: [TestDatabase] {
        ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    public var testDescription: String { rawValue }

    /// A fresh, empty database of this kind.
    public func makeLocation(in folder: URL) throws -> DatabaseLocation {
        switch self {
        case .sqlite:
            return .sqlite(path: "\(folder.path)/gatehouse.sqlite")
        case .postgres:
            let base = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"]!
            let name = "gh_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            try Shell.run("psql", [base, "-q", "-c", "CREATE DATABASE \(name)"])
            var components = URLComponents(string: base)!
            components.path = "/\(name)"
            return .postgres(url: components.string!)
        }
    }
}

enum Shell {
    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
    }
}


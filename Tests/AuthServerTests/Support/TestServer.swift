import Foundation
import GatehouseCore
import Synchronization
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

/// The databases the suite runs on: SQLite always, PostgreSQL when the test script started one.
enum TestDatabase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static var available: [TestDatabase] {
        ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    var testDescription: String { rawValue }

    /// A fresh, empty database of this kind.
    func makeURL(in folder: URL) throws -> String {
        switch self {
        case .sqlite:
            return "sqlite://\(folder.path)/gatehouse.sqlite"
        case .postgres:
            let base = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"]!
            let name = "gh_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            try Shell.run("psql", [base, "-q", "-c", "CREATE DATABASE \(name)"])
            var components = URLComponents(string: base)!
            components.path = "/\(name)"
            return components.string!
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

/// Records mail instead of sending it; can be told to fail.
final class RecordingMailer: Mailer {
    private let state = Mutex<(sent: [MailMessage], failuresLeft: Int)>(([], 0))

    func send(_ message: MailMessage) async throws {
        try state.withLock { state in
            if state.failuresLeft > 0 {
                state.failuresLeft -= 1
                throw CocoaError(.fileWriteUnknown)
            }
            state.sent.append(message)
        }
    }

    func failNext(_ count: Int) { state.withLock { $0.failuresLeft = count } }
    var sent: [MailMessage] { state.withLock { $0.sent } }
}

/// One Auth Server in memory, with a movable clock and recorded mail.
struct TestServer: Sendable {
    let app: Application
    let clock: ManualClock
    let mailer: RecordingMailer
    let configuration: Configuration

    var tester: any TestingApplicationTester {
        get throws { try app.testing() }
    }

    /// Runs the outbox once, as the background worker would, and returns every mail recorded so far.
    @discardableResult
    func deliverMail() async throws -> [MailMessage] {
        try await OutboxWorker(database: app.db, mailer: mailer, clock: clock, logger: app.logger).deliverDue()
        return mailer.sent
    }

    func browser() throws -> TestBrowser { TestBrowser(tester: try tester) }
}

/// Starts a server on `database` with `environment` on top of test defaults, runs `body`, shuts down.
func withServer(
    _ database: TestDatabase, environment: [String: String] = [:], _ body: (TestServer) async throws -> Void
) async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var env = [
        "GATEHOUSE_DATABASE_URL": try database.makeURL(in: folder),
        "GATEHOUSE_KEYS_DIR": folder.appendingPathComponent("keys").path,
        "GATEHOUSE_OUTBOX_DIR": folder.appendingPathComponent("outbox").path,
    ]
    env.merge(environment) { $1 }
    let configuration = try Configuration(environment: env)
    let clock = ManualClock(Date())
    let mailer = RecordingMailer()
    let app = try await makeAuthServer(AuthServerSettings(
        configuration: configuration, environment: .testing, clock: clock, mailer: mailer,
        runBackgroundJobs: false, passwordHashing: .minimalForTests))
    do {
        try await body(TestServer(app: app, clock: clock, mailer: mailer, configuration: configuration))
    } catch {
        try await app.asyncShutdown()
        throw error
    }
    try await app.asyncShutdown()
}

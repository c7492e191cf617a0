import Fluent
import Foundation
import GatehouseTesting
import GatehouseCore
import GatehouseDatabase
import GatehouseMail
import Synchronization
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

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
    let configuration: AuthServerConfiguration

    var tester: any TestingApplicationTester {
        get throws { try app.testing() }
    }

    /// Runs the link-request worker and the outbox once each, as the background workers would, and
    /// returns every mail recorded so far.
    @discardableResult
    func deliverMail() async throws -> [MailMessage] {
        let seal = try AtRestSeal.load(directory: configuration.keysDirectory)
        let outbox = Outbox(rateLimiter: RateLimiter(limits: RateLimits(), metrics: app.authMetrics), seal: seal, metrics: app.authMetrics)
        let templates = MailTemplates(authURL: configuration.authURL, spaURL: configuration.spaURL)
        try await LinkRequestWorker(database: app.db, outbox: outbox, templates: templates, clock: clock, logger: app.logger).processDue()
        try await OutboxWorker(database: app.db, mailer: mailer, seal: seal, clock: clock, logger: app.logger, metrics: app.authMetrics)
            .deliverDue()
        return mailer.sent
    }

    func browser() throws -> TestBrowser { TestBrowser(tester: try tester) }

    /// The kinds of the security events recorded so far, oldest first, without the sign-ins
    /// (`login`, `login_failed`) that nearly every test makes.
    func notableEvents() async throws -> [String] {
        try await SecurityEventRecord.query(on: app.db).sort(\.$createdAt).all().map(\.kind)
            .filter { $0 != "login" && $0 != "login_failed" }
    }
}

/// Starts a server on `database` with `configure` applied to test defaults, runs `body`, shuts down.
func withServer(
    _ database: TestDatabase = .current, configure: (inout AuthServerConfiguration) -> Void = { _ in },
    identityProviders: [String: any IdentityProvider]? = nil, rateLimits: RateLimits = RateLimits(), _ body: (TestServer) async throws -> Void
) async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var configuration = AuthServerConfiguration()
    configuration.database = try database.makeLocation(in: folder)
    configuration.keysDirectory = folder.appendingPathComponent("keys").path
    configuration.outboxDirectory = folder.appendingPathComponent("outbox").path
    configure(&configuration)
    let clock = ManualClock(Date())
    let mailer = RecordingMailer()
    var settings = AuthServerSettings(
        configuration: configuration, environment: .testing, clock: clock, mailer: mailer,
        runBackgroundJobs: false, passwordHashing: .minimalForTests)
    settings.identityProviders = identityProviders
    settings.rateLimits = rateLimits
    let app = try await makeAuthServer(settings)
    try await app.run { app in try await body(TestServer(app: app, clock: clock, mailer: mailer, configuration: configuration)) }
}

import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Starts the outbox worker, the link-request worker, housekeeping and event delivery with the application and
/// stops them with it.
final class BackgroundJobs: LifecycleHandler, Sendable {
    private let outbox: OutboxWorker
    private let linkRequests: LinkRequestWorker
    private let housekeeping: Housekeeping
    private let events: EventDeliveryWorker
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])

    init(outbox: OutboxWorker, linkRequests: LinkRequestWorker, housekeeping: Housekeeping, events: EventDeliveryWorker) {
        self.events = events
        self.outbox = outbox
        self.linkRequests = linkRequests
        self.housekeeping = housekeeping
    }

    func didBootAsync(_ application: Application) async throws {
        let outbox = self.outbox
        let linkRequests = self.linkRequests
        let housekeeping = self.housekeeping
        let events = self.events
        tasks.withLockedValue {
            $0 = [
                Task { await outbox.run() }, Task { await linkRequests.run() }, Task { await housekeeping.run() },
                Task { await events.run() },
            ]
        }
    }

    func shutdownAsync(_ application: Application) async {
        let running = tasks.withLockedValue { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
    }
}

/// Stops the password-hashing threads with the application.
struct HashingPoolShutdown: LifecycleHandler {
    let pool: HashingPool

    func shutdownAsync(_ application: Application) async {
        await pool.shutdown()
    }
}

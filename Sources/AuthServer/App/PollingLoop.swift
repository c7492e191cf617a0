import Logging

/// A background worker's loop: runs `work` again at once while it finds something to do, otherwise
/// waits `interval`; a failed round is logged by error type only (its text could echo data) and
/// the loop goes on, until the task is cancelled.
enum PollingLoop {
    static func run(every interval: Duration, logger: Logger, name: String, _ work: () async throws -> Int) async {
        while !Task.isCancelled {
            do {
                if try await work() > 0 { continue }
            } catch {
                logger.error("\(name) failed", metadata: ["error": "\(String(describing: type(of: error)))"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}

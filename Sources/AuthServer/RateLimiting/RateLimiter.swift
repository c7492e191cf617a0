import Fluent
import Foundation
import GatehouseCore
import SQLKit

/// A fixed-window counter per bucket, kept in the database so that every instance shares it and
/// parallel attempts cannot slip past it: each hit is one atomic upsert (the Zitadel lockout race).
struct RateLimiter: Sendable {
    struct Rule: Sendable {
        var limit: Int
        var window: TimeInterval
    }

    let limits: RateLimits
    var metrics: AuthMetrics?

    enum Verdict: Equatable {
        case allowed
        case limited(retryAfter: Int)
    }

    /// Counts one hit in `bucket` and says whether it is within `rule`.
    func hit(_ bucket: String, rule: Rule, now: Date, on sql: any SQLDatabase) async throws -> Verdict {
        try await hit([(bucket, rule)], now: now, on: sql)
    }

    /// Counts one hit in each bucket in one statement; limited when any bucket is over its rule
    /// (with the longest wait). Every rule must share one window, which the statement compares with.
    func hit(_ buckets: [(bucket: String, rule: Rule)], now: Date, on sql: any SQLDatabase) async throws -> Verdict {
        guard let window = buckets.first?.rule.window else { return .allowed }
        precondition(buckets.allSatisfy { $0.rule.window == window }, "one statement counts buckets of one window")
        let windowOpenedBefore = now - window
        let rules = Dictionary(buckets.map { (Self.bucketKey($0.bucket), $0.rule) }, uniquingKeysWith: { first, _ in first })
        let values = rules.keys.sorted().map { key -> SQLQueryString in "(\(bind: key), \(bind: now), 1)" }.joined(separator: ", ")
        let rows = try await sql.raw("""
            INSERT INTO rate_limits (bucket, window_start, hits) VALUES \(values)
            ON CONFLICT (bucket) DO UPDATE SET
              hits = CASE WHEN rate_limits.window_start <= \(bind: windowOpenedBefore) THEN 1 ELSE rate_limits.hits + 1 END,
              window_start = CASE WHEN rate_limits.window_start <= \(bind: windowOpenedBefore) THEN \(bind: now) ELSE rate_limits.window_start END
            RETURNING bucket, hits, window_start
            """).all()
        var wait = 0
        for row in rows {
            guard let rule = rules[try row.decode(column: "bucket", as: String.self)] else { continue }
            let hits = try row.decode(column: "hits", as: Int.self)
            let start = try row.decode(column: "window_start", as: Date.self)
            if hits > rule.limit { wait = max(wait, Int((start + rule.window).timeIntervalSince(now).rounded(.up))) }
        }
        return wait > 0 ? .limited(retryAfter: wait) : .allowed
    }

    /// Counts one hit in each bucket and throws `429 rate_limited` when any is over its rule: the
    /// first thing a limited route does, before it changes any state or hashes anything.
    func enforce(_ buckets: [(bucket: String, rule: Rule)], now: Date, on sql: any SQLDatabase) async throws {
        if case .limited(let seconds) = try await hit(buckets, now: now, on: sql) {
            metrics?.rateLimited(buckets.first.map { String($0.bucket.prefix { $0 != ":" }) } ?? "other")
            throw AuthError.rateLimited(retryAfter: seconds)
        }
    }

    /// Forgets buckets, e.g. after a successful login.
    func reset(_ buckets: [String], on sql: any SQLDatabase) async throws {
        guard !buckets.isEmpty else { return }
        let keys = buckets.map { key -> SQLQueryString in "\(bind: Self.bucketKey(key))" }.joined(separator: ", ")
        try await sql.raw("DELETE FROM rate_limits WHERE bucket IN (\(keys))").run()
    }

    /// Forgets windows that closed more than a day ago.
    func prune(now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM rate_limits WHERE window_start < \(bind: now - 86_400)").run()
    }

    static func createSchema(on database: any Database) async throws {
        try await database.schema("rate_limits")
            .field("bucket", .string, .identifier(auto: false))
            .field("window_start", .datetime, .required)
            .field("hits", .int, .required)
            .create()
    }

    /// Buckets name email addresses; hash them so the table holds no address in clear.
    private static func bucketKey(_ bucket: String) -> String {
        Secrets.sha256Hex(bucket)
    }
}

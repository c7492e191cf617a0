import Testing

extension TestDatabase {
    /// The database the running test was given by ``OnEveryDatabase``; SQLite outside it.
    @TaskLocal public static var current: TestDatabase = .sqlite
}

/// Runs every test it is applied to once per available database (SQLite always, PostgreSQL when the
/// test script started one), with ``TestDatabase/current`` set, so PostgreSQL coverage is a property
/// of the suite rather than a choice made test by test.
///
/// ```swift
/// @Suite("Refresh", .onEveryDatabase)
/// struct RefreshTests {
///     @Test func rotates() async throws { try await withServer { server in ... } }
/// }
/// ```
public struct OnEveryDatabase: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard !test.isSuite else { return try await function() }
        for database in TestDatabase.available {
            do {
                try await TestDatabase.$current.withValue(database) { try await function() }
            } catch {
                throw OnDatabase(database: database, error: error)
            }
        }
    }

    /// An error thrown by a test body, with the database it ran on.
    struct OnDatabase: Error, CustomStringConvertible {
        let database: TestDatabase
        let error: any Error
        var description: String { "on \(database.rawValue): \(error)" }
    }
}

extension Trait where Self == OnEveryDatabase {
    /// Runs each test once per available database; see ``OnEveryDatabase``.
    public static var onEveryDatabase: Self { OnEveryDatabase() }
}

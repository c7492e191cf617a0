import Fluent
import SQLKit

extension Database {
    /// Runs `body` in a transaction that is about to write.
    ///
    /// On SQLite the transaction begins `IMMEDIATE`, taking the write lock before its first read, so
    /// that it waits its turn behind another writer instead of failing (see ``SQLiteSettings``). On
    /// PostgreSQL it is an ordinary transaction. Never nest it, and never call `transaction` inside.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        guard self.sql.dialect.name == "sqlite" else { return try await transaction(body) }
        return try await withConnection { connection in
            let sql = connection.sql
            try await sql.raw("BEGIN IMMEDIATE TRANSACTION").run()
            do {
                let result = try await body(connection)
                try await sql.raw("COMMIT TRANSACTION").run()
                return result
            } catch {
                try? await sql.raw("ROLLBACK TRANSACTION").run()
                throw error
            }
        }
    }
}

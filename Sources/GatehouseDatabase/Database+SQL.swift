import Fluent
import SQLKit

extension Database {
    /// The SQL view of the database, for the few statements Fluent cannot express atomically
    /// (compare-and-swap updates, upserts). Both supported drivers, SQLite and PostgreSQL, are SQL
    /// databases, so the cast cannot fail in this application.
    public var sql: any SQLDatabase {
        guard let sql = self as? any SQLDatabase else { preconditionFailure("Gatehouse needs an SQL database") }
        return sql
    }
}

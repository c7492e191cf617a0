import Foundation

/// Where a server keeps its data: an SQLite file or a PostgreSQL database.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    /// Parses `sqlite://PATH` or `postgres://user:pass@host:port/db` (`postgresql://` too); nil otherwise.
    public init?(url: String) {
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { return nil }
            self = .sqlite(path: path)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            self = .postgres(url: url)
        } else {
            return nil
        }
    }
}

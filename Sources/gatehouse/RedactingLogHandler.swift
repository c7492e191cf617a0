import Logging

/// Wraps the process's log handler and drops metadata that can hold secrets whatever the level:
/// the database drivers log every statement's bind values at their SQL log level, and binds carry
/// password hashes, token hashes, sealed tokens and addresses. The statement text itself stays.
struct RedactingLogHandler: LogHandler {
    /// Metadata keys never written: PostgresKit's `binds`.
    static let withheld: Set<String> = ["binds"]

    var wrapped: any LogHandler

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        let kept = metadata?.filter { !Self.withheld.contains($0.key) }
        wrapped.log(level: level, message: message, metadata: kept, source: source, file: file, function: function, line: line)
    }
}

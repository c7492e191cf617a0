import Logging

/// Wraps the process's log handler so that no line, at any level, holds a password, a token, a
/// one-time link or a hash (CONTRACT "Operations"):
/// - the database drivers log every statement's bind values at their SQL log level (`binds`), and
///   FluentKit every query's values and conditions at trace (`input`, `filters`, `joins`); they
///   carry password hashes, token hashes, sealed tokens and addresses: dropped;
/// - Vapor logs each decoded HTTP part at trace (`Decoded HTTP part: …`): request heads carry
///   cookies and CSRF tokens, bodies carry passwords: withheld;
/// - anything else that looks like a JWT, an Argon2 hash or a `token=` value is masked, so a
///   library's message cannot leak one by accident.
struct RedactingLogHandler: LogHandler {
    static let withheldMetadata: Set<String> = ["binds", "input", "filters", "joins"]
    static let withheldMessagePrefixes = ["Decoded HTTP part"]

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
        var text = message.description
        if let prefix = Self.withheldMessagePrefixes.first(where: { text.hasPrefix($0) }) {
            text = prefix + " (withheld: may hold credentials)"
        } else {
            text = Self.mask(text)
        }
        let kept = metadata?.filter { !Self.withheldMetadata.contains($0.key) }.mapValues { Logger.MetadataValue.string(Self.mask("\($0)")) }
        wrapped.log(
            level: level, message: Logger.Message(stringLiteral: text), metadata: kept, source: source, file: file, function: function,
            line: line)
    }

    /// `text` with JWTs, Argon2 hashes and `token=` values replaced. Cheap when there is nothing to
    /// mask: the patterns are only searched when a marker is present.
    static func mask(_ text: String) -> String {
        guard text.contains("eyJ") || text.contains("$argon2") || text.contains("token=") else { return text }
        var masked = text
        masked.replace(#/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/#, with: "<jwt>")
        masked.replace(#/\$argon2(id|i|d)\$[^\s"']+/#, with: "<argon2 hash>")
        masked.replace(#/token=[^\s&"',;]+/#, with: "token=<secret>")
        return masked
    }
}

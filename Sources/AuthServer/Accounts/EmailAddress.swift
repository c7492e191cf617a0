import Foundation

/// A syntactically plausible email address, normalised (trimmed, lower-case) so that uniqueness
/// holds regardless of case.
struct EmailAddress: Hashable, Sendable, CustomStringConvertible {
    let value: String

    init?(_ raw: String) {
        let normalised = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = normalised.split(separator: "@", omittingEmptySubsequences: false)
        guard normalised.utf8.count <= 254, parts.count == 2,
            let local = parts.first, let domain = parts.last,
            !local.isEmpty, local.utf8.count <= 64,
            domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains(".."),
            !normalised.contains(where: { $0.isWhitespace || $0.isNewline || $0 == "<" || $0 == ">" || $0 == "," || $0 == ";" || $0 == "\"" })
        else { return nil }
        value = normalised
    }

    var description: String { value }
}

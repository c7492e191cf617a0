import Foundation

/// A mail address Gatehouse can deliver to: an ASCII `local@domain` (RFC 5321 path, at most 254
/// octets; local part at most 64, without quoting, comments or spaces; domain of letter-digit-hyphen
/// labels), normalised (trimmed, lower-case) so that uniqueness holds regardless of case.
///
/// The one address type of accounts and mail: an address accepted at registration can always be
/// put in an envelope and a header. Internationalised addresses (SMTPUTF8, non-ASCII domains) are
/// refused rather than accepted and never delivered.
///
/// ```swift
/// EmailAddress(" Ann@Example.COM ")?.value   // "ann@example.com"
/// EmailAddress("ann@bücher.de")              // nil
/// ```
public struct EmailAddress: Hashable, Sendable, CustomStringConvertible {
    /// The normalised address.
    public let value: String

    /// Normalises `raw` (Unicode NFKC, so look-alike compatibility forms such as fullwidth letters or
    /// the Kelvin sign become the one address they stand for; then lower case) and accepts it when
    /// it is deliverable.
    public init?(_ raw: String) {
        let normalised = raw.precomposedStringWithCompatibilityMapping.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard Self.isDeliverable(normalised) else { return nil }
        value = normalised
    }

    public var description: String { value }

    /// The part after the `@`.
    public var domain: Substring { value[value.index(after: value.lastIndex(of: "@")!)...] }

    /// Whether `address`, exactly as given, is a deliverable `local@domain`: the grammar every
    /// envelope and `From`/`To` header is checked against, so nothing reaches SMTP that could inject.
    static func isDeliverable(_ address: String) -> Bool {
        // 254 is the longest address that fits a 256-octet RFC 5321 path with its brackets.
        guard address.utf8.count <= 254, let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64, !domain.isEmpty else { return false }
        let localOK = local.unicodeScalars.allSatisfy { scalar in
            scalar.value > 0x20 && scalar.value < 0x7F && !localForbidden.contains(scalar)
        }
        guard localOK, !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { scalar in
                    scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-")
                }
        }
    }

    private static let localForbidden = Set("<>()[]\\,;:\"@ ".unicodeScalars)
}

import Foundation
import GatehouseCore

/// Keyset pagination positions, opaque on the wire (base64url of the last row's sort key), so a
/// page boundary never shifts when rows are added or removed, as an offset would.
enum AdminCursor {
    /// After the account with this email (accounts are listed by email).
    static func encode(email: String) -> String {
        Base64URL.encode(Data(("a:" + email).utf8))
    }

    static func email(from cursor: String) throws -> String {
        guard let text = decode(cursor), text.hasPrefix("a:") else { throw AdminError.invalidCursor }
        return String(text.dropFirst(2))
    }

    /// After the event at `at` with `id` (events are listed newest first).
    static func encode(at: Date, id: UUID) -> String {
        Base64URL.encode(Data("e:\(at.timeIntervalSince1970.description)|\(id.uuidString)".utf8))
    }

    static func event(from cursor: String) throws -> (at: Date, id: UUID) {
        guard let text = decode(cursor), text.hasPrefix("e:") else { throw AdminError.invalidCursor }
        let parts = text.dropFirst(2).split(separator: "|")
        guard parts.count == 2, let seconds = Double(parts[0]), seconds.isFinite, let id = UUID(uuidString: String(parts[1]))
        else { throw AdminError.invalidCursor }
        return (Date(timeIntervalSince1970: seconds), id)
    }

    private static func decode(_ cursor: String) -> String? {
        guard cursor.utf8.count <= 512, let data = Base64URL.decode(cursor) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}

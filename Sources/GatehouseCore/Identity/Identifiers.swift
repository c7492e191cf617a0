import Foundation

/// A typed wrapper around a UUID, so that a ``SessionID`` can never be passed where a ``UserID`` is meant.
public protocol UUIDIdentifier: Hashable, Sendable, Codable, CustomStringConvertible, LosslessStringConvertible {
    var uuid: UUID { get }
    init(uuid: UUID)
}

extension UUIDIdentifier {
    /// A fresh random identifier.
    public static func random() -> Self { Self(uuid: UUID()) }

    public init?(_ description: String) {
        guard let uuid = UUID(uuidString: description) else { return nil }
        self.init(uuid: uuid)
    }

    /// Lower-case canonical form, as it appears in tokens and URLs.
    public var description: String { uuid.uuidString.lowercased() }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let value = Self(string) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a UUID")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Identifies an account.
public struct UserID: UUIDIdentifier {
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies one login session (the `sid` claim).
public struct SessionID: UUIDIdentifier {
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies one issued token (the `jti` claim).
public struct TokenID: UUIDIdentifier {
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

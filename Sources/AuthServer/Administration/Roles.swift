import Foundation

/// A role name as accounts carry it: lower-case letters, digits, `_` and `-`, starting with a letter,
/// at most 32 characters, so it travels in a token and a space-separated column unambiguously.
public struct Role: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let name: String

    public init?(_ name: String) {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.unicodeScalars.count <= 32,
            name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" })
        else { return nil }
        self.name = name
    }

    /// Every account has it.
    public static let user = Role(trusted: "user")
    /// Grants the admin API and the admin page.
    public static let admin = Role(trusted: "admin")

    private init(trusted name: String) { self.name = name }

    public var description: String { name }
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.name < rhs.name }
}

/// An account's roles: always including ``Role/user``, stored sorted and space-separated.
public struct RoleSet: Equatable, Sendable {
    public private(set) var roles: Set<Role>

    public init(_ roles: some Sequence<Role>) {
        self.roles = Set(roles).union([.user])
    }

    /// The roles of a stored column; names that are not roles (never written by Gatehouse) are dropped.
    init(column: String) {
        self.init(column.split(separator: " ").compactMap { Role(String($0)) })
    }

    public var names: [String] { roles.sorted().map(\.name) }
    var column: String { names.joined(separator: " ") }

    public func contains(_ role: Role) -> Bool { roles.contains(role) }
    public func adding(_ role: Role) -> RoleSet { RoleSet(roles.union([role])) }
    /// ``Role/user`` cannot be removed.
    public func removing(_ role: Role) -> RoleSet { RoleSet(roles.subtracting([role])) }
}

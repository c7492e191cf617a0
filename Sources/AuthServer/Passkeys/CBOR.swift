/// A strict decoder for the subset of CBOR (RFC 8949) that WebAuthn uses: unsigned and negative
/// integers, byte and text strings, arrays, maps with integer or text keys, `false`, `true`, `null`.
/// It refuses what an authenticator never needs to send (indefinite lengths, tags, floats, other
/// simple values, duplicate map keys, non-shortest lengths, nesting deeper than 8, items past the
/// input) so that one byte sequence has one meaning and a hostile input costs little.
enum CBOR: Equatable, Sendable {
    case unsigned(UInt64)
    case negative(UInt64)  // the value is -1 - n
    case bytes([UInt8])
    case text(String)
    case array([CBOR])
    case map([(key: CBOR, value: CBOR)])
    case bool(Bool)
    case null

    static func == (lhs: CBOR, rhs: CBOR) -> Bool {
        switch (lhs, rhs) {
        case (.unsigned(let a), .unsigned(let b)), (.negative(let a), .negative(let b)): return a == b
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.text(let a), .text(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.map(let a), .map(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    struct Malformed: Error, Equatable {
        let reason: String
    }

    static let maximumDepth = 8

    /// Decodes exactly one item from the start of `bytes`; returns it and how many bytes it took.
    static func decodePrefix(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> (CBOR, Int) {
        var reader = Reader(bytes: bytes)
        let item = try reader.item(depth: 0)
        return (item, reader.offset - bytes.startIndex)
    }

    /// Decodes `bytes`, which must hold exactly one item.
    static func decode(_ bytes: [UInt8]) throws(Malformed) -> CBOR {
        let (item, used) = try decodePrefix(bytes[...])
        guard used == bytes.count else { throw Malformed(reason: "trailing bytes") }
        return item
    }

    /// The value under integer key `key` of a map.
    subscript(_ key: Int) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        let wanted: CBOR = key >= 0 ? .unsigned(UInt64(key)) : .negative(UInt64(-1 - key))
        return entries.first { $0.key == wanted }?.value
    }

    /// The value under text key `key` of a map.
    subscript(_ key: String) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == .text(key) }?.value
    }

    /// The item in CBOR's shortest (canonical) form: how a decoded COSE key is stored.
    func encoded() -> [UInt8] {
        func head(_ major: UInt8, _ value: UInt64) -> [UInt8] {
            let width: Int = value < 24 ? 0 : value < 1 << 8 ? 1 : value < 1 << 16 ? 2 : value < 1 << 32 ? 4 : 8
            guard width > 0 else { return [major << 5 | UInt8(value)] }
            let info: UInt8 = [1: 24, 2: 25, 4: 26, 8: 27][width]!
            return [major << 5 | info] + (0..<width).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        }
        switch self {
        case .unsigned(let n): return head(0, n)
        case .negative(let n): return head(1, n)
        case .bytes(let b): return head(2, UInt64(b.count)) + b
        case .text(let t): return head(3, UInt64(t.utf8.count)) + Array(t.utf8)
        case .array(let items): return head(4, UInt64(items.count)) + items.flatMap { $0.encoded() }
        case .map(let entries): return head(5, UInt64(entries.count)) + entries.flatMap { $0.key.encoded() + $0.value.encoded() }
        case .bool(let b): return [b ? 0xF5 : 0xF4]
        case .null: return [0xF6]
        }
    }

    var bytesValue: [UInt8]? { if case .bytes(let value) = self { value } else { nil } }
    var textValue: String? { if case .text(let value) = self { value } else { nil } }
    var intValue: Int? {
        switch self {
        case .unsigned(let n) where n <= UInt64(Int.max): Int(n)
        case .negative(let n) where n < UInt64(Int.max): -1 - Int(n)
        default: nil
        }
    }

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var offset: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            offset = bytes.startIndex
        }

        mutating func take(_ count: Int) throws(Malformed) -> ArraySlice<UInt8> {
            guard count >= 0, count <= bytes.endIndex - offset else { throw Malformed(reason: "truncated") }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }

        /// The argument of a head: the additional info, or the 1, 2, 4 or 8 bytes after it, which
        /// must be needed (shortest form).
        mutating func argument(_ info: UInt8) throws(Malformed) -> UInt64 {
            switch info {
            case 0..<24: return UInt64(info)
            case 24...27:
                let width = 1 << Int(info - 24)
                let value = try take(width).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let smallest: UInt64 = [24, 1 << 8, 1 << 16, 1 << 32][Int(info - 24)]
                guard value >= smallest else { throw Malformed(reason: "not the shortest form") }
                return value
            default: throw Malformed(reason: "indefinite or reserved length")
            }
        }

        mutating func length(_ info: UInt8) throws(Malformed) -> Int {
            let value = try argument(info)
            guard value <= UInt64(bytes.endIndex - offset) else { throw Malformed(reason: "truncated") }
            return Int(value)
        }

        mutating func item(depth: Int) throws(Malformed) -> CBOR {
            guard depth <= CBOR.maximumDepth else { throw Malformed(reason: "nested too deeply") }
            let head = try take(1).first!
            let major = head >> 5, info = head & 0x1F
            switch major {
            case 0: return .unsigned(try argument(info))
            case 1: return .negative(try argument(info))
            case 2: return .bytes(Array(try take(try length(info))))
            case 3:
                guard let text = String(validating: try take(try length(info)), as: UTF8.self) else { throw Malformed(reason: "invalid UTF-8") }
                return .text(text)
            case 4:
                let count = try length(info)  // each item takes at least one byte, so this bounds the work
                var items: [CBOR] = []
                for _ in 0..<count { items.append(try item(depth: depth + 1)) }
                return .array(items)
            case 5:
                let count = try length(info)
                var entries: [(key: CBOR, value: CBOR)] = []
                for _ in 0..<count {
                    let key = try item(depth: depth + 1)
                    switch key {
                    case .unsigned, .negative, .text: break
                    default: throw Malformed(reason: "map key is neither an integer nor text")
                    }
                    guard !entries.contains(where: { $0.key == key }) else { throw Malformed(reason: "duplicate map key") }
                    entries.append((key, try item(depth: depth + 1)))
                }
                return .map(entries)
            case 7:
                switch info {
                case 20: return .bool(false)
                case 21: return .bool(true)
                case 22: return .null
                default: throw Malformed(reason: "unsupported simple value or float")
                }
            default: throw Malformed(reason: "tags are not accepted")
            }
        }
    }
}

import Vapor

extension Request {
    /// The value of cookie `name`, read straight from the `Cookie` header bytes.
    ///
    /// Vapor's `request.cookies` parses every cookie character by character; with a JWT of several
    /// hundred bytes that dominated the cost of an authenticated request. This reads only the one
    /// cookie asked for. Cookie values are not unescaped: Gatehouse's tokens are base64url.
    public func cookie(named name: String) -> String? {
        for header in headers[.cookie] {
            if let value = Self.cookie(named: name, in: header) { return value }
        }
        return nil
    }

    static func cookie(named name: String, in header: String) -> String? {
        var header = header
        return header.withUTF8 { bytes -> String? in
            let target = name.utf8
            var index = 0
            let count = bytes.count
            while index < count {
                // Skip separators and whitespace before a name.
                while index < count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: ";") { index += 1 }
                let nameStart = index
                while index < count, bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: ";") { index += 1 }
                let nameEnd = index
                guard index < count, bytes[index] == UInt8(ascii: "=") else { continue }
                index += 1
                let valueStart = index
                while index < count, bytes[index] != UInt8(ascii: ";") { index += 1 }
                if nameEnd - nameStart == target.count, target.elementsEqual(bytes[nameStart..<nameEnd]) {
                    var valueEnd = index
                    while valueEnd > valueStart, bytes[valueEnd - 1] == UInt8(ascii: " ") { valueEnd -= 1 }
                    var value = UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd])
                    // RFC 6265 allows a quoted value.
                    if value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") {
                        value = UnsafeBufferPointer(rebasing: value[(value.startIndex + 1)..<(value.endIndex - 1)])
                    }
                    return String(decoding: value, as: UTF8.self)
                }
            }
            return nil
        }
    }
}

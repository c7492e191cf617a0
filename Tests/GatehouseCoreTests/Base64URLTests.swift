import Foundation
import Testing
@testable import GatehouseCore

@Suite("Base64url (RFC 4648 §5, unpadded)")
struct Base64URLTests {
    /// Foundation's base64 turned url-safe by hand: the reference the fast codec must agree with.
    static func reference(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    @Test("encoding agrees with Foundation and decoding gives the bytes back, for every length up to 200")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            #expect(encoded == Self.reference(bytes))
            #expect(Base64URL.decode(encoded) == Data(bytes))
        }
    }

    @Test("the RFC 4648 test vectors, unpadded")
    func vectors() {
        for (plain, encoded) in [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")] {
            #expect(Base64URL.encode(Data(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Data(plain.utf8))
        }
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
    }

    @Test("padding, the standard alphabet's + and /, whitespace and impossible lengths are refused",
          arguments: ["Zg==", "Zm8=", "+/+/", "Zm9v YmFy", "Zm9vY", "Zm9v\n", "Zm9v.", "é"])
    func refusals(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}

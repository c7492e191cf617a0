import Foundation

/// The JOSE header Gatehouse writes and reads. Unknown members (`jku`, `x5u`, `jwk`, ...) are ignored
/// on purpose: keys come only from our own key ring (RFC 8725 §3.10).
struct JOSEHeader: Codable {
    var alg: String
    var typ: String?
    var kid: String?
    var crit: [String]?
}

/// Compact JWS serialisation (RFC 7515 §7.1), signing and parsing only; trust decisions live in `TokenVerifier`.
enum CompactJWS {
    static let maximumLength = 8192

    static func sign(_ claims: some Encodable, type: TokenType, with key: SigningKey) throws -> String {
        let header = JOSEHeader(alg: key.algorithm.rawValue, typ: type.rawValue, kid: key.kid, crit: nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let signingInput = Base64URL.encode(try encoder.encode(header)) + "." + Base64URL.encode(try encoder.encode(claims))
        let signature = try key.sign(Data(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    struct Parts {
        let header: JOSEHeader
        let signingInput: Substring
        let payload: Data
        let signature: Data
    }

    static func parse(_ token: String) -> Parts? {
        guard token.utf8.count <= maximumLength else { return nil }
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3,
            let headerData = Base64URL.decode(segments[0]),
            let payload = Base64URL.decode(segments[1]),
            let signature = Base64URL.decode(segments[2]),
            let header = try? JSONDecoder().decode(JOSEHeader.self, from: headerData)
        else { return nil }
        let signingInput = token[token.startIndex..<segments[1].endIndex]
        return Parts(header: header, signingInput: signingInput, payload: payload, signature: signature)
    }
}

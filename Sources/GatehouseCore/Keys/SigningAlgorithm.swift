/// The JWS algorithms Gatehouse signs with. The algorithm belongs to the key, never to the token:
/// a verifier uses the algorithm of the key that `kid` names and ignores the token's `alg` choice
/// beyond checking it agrees (RFC 8725 §3.1).
public enum SigningAlgorithm: String, Sendable, Codable, CaseIterable {
    case es256 = "ES256"
    case rs256 = "RS256"
}

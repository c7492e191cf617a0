import Vapor

/// The proxies whose `X-Forwarded-For` is believed (`GATEHOUSE_TRUSTED_PROXIES`). The one place
/// that decides who the client is: rate limits, sessions and security events all ask it.
public struct TrustedProxies: Sendable {
    public let networks: [IPNetwork]

    /// Believe no forwarded header: the client is the TCP peer.
    public static let none = TrustedProxies(networks: [])

    public init(networks: [IPNetwork]) {
        self.networks = networks
    }

    /// Parses `10.0.0.0/8, 127.0.0.1, fd00::/8`; fails naming the first entry that is neither an address nor a CIDR.
    public static func parse(_ list: String) -> Result<TrustedProxies, InvalidEntry> {
        var networks: [IPNetwork] = []
        for entry in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            guard let network = IPNetwork(entry) else { return .failure(InvalidEntry(entry: entry)) }
            networks.append(network)
        }
        return .success(TrustedProxies(networks: networks))
    }

    public struct InvalidEntry: Error, Sendable {
        public let entry: String
    }

    public func trusts(_ address: IPAddress) -> Bool {
        networks.contains { $0.contains(address) }
    }

    /// The client behind `peer`: the peer itself unless it is a trusted proxy; then the right-most
    /// `X-Forwarded-For` address that is not trusted (each trusted hop appended the address it saw,
    /// so everything left of the first untrusted one may be the client's own invention). When every
    /// listed hop is trusted, the left-most is the client. An entry that is not an address ends the
    /// walk at the last trusted hop.
    public func client(peer: IPAddress?, forwardedFor: [String]) -> IPAddress? {
        guard var client = peer, trusts(client) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard let address = Self.address(hop) else { return client }
            client = address
            if !trusts(address) { return address }
        }
        return client
    }

    /// An `X-Forwarded-For` element: an address, possibly with a port (`192.0.2.1:443`, `[2001:db8::1]:443`).
    private static func address(_ hop: String) -> IPAddress? {
        if let plain = IPAddress(hop) { return plain }
        if hop.hasPrefix("["), let close = hop.firstIndex(of: "]") { return IPAddress(hop[hop.index(after: hop.startIndex)..<close]) }
        if hop.filter({ $0 == ":" }).count == 1, let colon = hop.firstIndex(of: ":") { return IPAddress(hop[..<colon]) }
        return nil
    }
}

extension Application {
    private struct TrustedProxiesKey: StorageKey {
        typealias Value = TrustedProxies
    }

    /// The proxies this server believes; none unless configured.
    public var trustedProxies: TrustedProxies {
        get { storage[TrustedProxiesKey.self] ?? .none }
        set { storage[TrustedProxiesKey.self] = newValue }
    }
}

extension Request {
    /// The client's address as ``TrustedProxies`` finds it; nil when the peer is not an IP socket.
    public var clientAddress: IPAddress? {
        let peer = remoteAddress?.ipAddress.flatMap { IPAddress($0) }
        return application.trustedProxies.client(peer: peer, forwardedFor: headers[.xForwardedFor])
    }
}

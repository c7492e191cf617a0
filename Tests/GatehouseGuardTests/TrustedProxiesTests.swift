import GatehouseGuard
import Testing

@Suite("Client addresses behind trusted proxies (CONTRACT \"Behind a proxy\")")
struct TrustedProxiesTests {
    let proxies = try! TrustedProxies.parse("10.0.0.0/8, 127.0.0.1, fd00::/8").get()

    func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    @Test("addresses parse in both families; IPv4-mapped IPv6 is the IPv4 address; junk is refused")
    func parsing() {
        #expect(IPAddress("192.0.2.1")?.description == "192.0.2.1")
        #expect(IPAddress("2001:DB8:0:0::1")?.description == "2001:db8::1")
        #expect(IPAddress("[2001:db8::1]")?.description == "2001:db8::1")
        #expect(IPAddress("::ffff:192.0.2.1") == IPAddress("192.0.2.1"))
        for junk in ["", "localhost", "192.0.2", "192.0.2.1.5", "1.2.3.4:80", "fe80::1%eth0", "2001:db8::g"] {
            #expect(IPAddress(junk) == nil, "\(junk)")
        }
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("10.0.0.0/x") == nil)
        if case .failure(let invalid) = TrustedProxies.parse("10.0.0.0/8, nonsense") { #expect(invalid.entry == "nonsense") } else {
            Issue.record("a bad entry must be refused")
        }
    }

    @Test("a CIDR contains exactly its block")
    func networks() {
        let net = IPNetwork("10.1.0.0/16")!
        #expect(net.contains(ip("10.1.255.7")))
        #expect(!net.contains(ip("10.2.0.1")))
        #expect(!net.contains(ip("::ffff:10.2.0.1")))
        #expect(IPNetwork("2001:db8::/33")!.contains(ip("2001:db8:7fff::1")))
        #expect(!IPNetwork("2001:db8::/33")!.contains(ip("2001:db8:8000::1")))
        #expect(IPNetwork("0.0.0.0/0")!.contains(ip("203.0.113.9")))
        #expect(!IPNetwork("0.0.0.0/0")!.contains(ip("::1")))
    }

    @Test("an untrusted peer is the client whatever X-Forwarded-For says")
    func untrustedPeer() {
        #expect(proxies.client(peer: ip("203.0.113.9"), forwardedFor: ["198.51.100.1"]) == ip("203.0.113.9"))
        #expect(TrustedProxies.none.client(peer: ip("127.0.0.1"), forwardedFor: ["198.51.100.1"]) == ip("127.0.0.1"))
    }

    @Test("behind trusted proxies the client is the right-most untrusted hop, never what the client prepended")
    func trustedPeer() {
        #expect(proxies.client(peer: ip("127.0.0.1"), forwardedFor: ["198.51.100.1"]) == ip("198.51.100.1"))
        #expect(proxies.client(peer: ip("127.0.0.1"), forwardedFor: ["6.6.6.6, 198.51.100.1, 10.0.0.3"]) == ip("198.51.100.1"))
        #expect(proxies.client(peer: ip("127.0.0.1"), forwardedFor: ["6.6.6.6", "198.51.100.1"]) == ip("198.51.100.1"))
        #expect(proxies.client(peer: ip("127.0.0.1"), forwardedFor: ["198.51.100.1:4711"]) == ip("198.51.100.1"))
        #expect(proxies.client(peer: ip("127.0.0.1"), forwardedFor: ["[2001:db8::5]:443"]) == ip("2001:db8::5"))
        // Every hop trusted: the left-most is the client; no header: the proxy itself.
        #expect(proxies.client(peer: ip("127.0.0.1"), forwardedFor: ["10.0.0.9, 10.0.0.3"]) == ip("10.0.0.9"))
        #expect(proxies.client(peer: ip("127.0.0.1"), forwardedFor: []) == ip("127.0.0.1"))
        // Junk stops the walk at the last trusted hop rather than believing anything left of it.
        #expect(proxies.client(peer: ip("127.0.0.1"), forwardedFor: ["198.51.100.1, junk, 10.0.0.3"]) == ip("10.0.0.3"))
    }

    @Test("rate limits count an IPv6 client as its /64 and an IPv4 client as itself")
    func rateLimitKeys() {
        #expect(ip("2001:db8:1:2:aaaa::1").rateLimitKey == "2001:db8:1:2::/64")
        #expect(ip("2001:db8:1:2:ffff:ffff:ffff:ffff").rateLimitKey == ip("2001:db8:1:2::7").rateLimitKey)
        #expect(ip("2001:db8:1:3::1").rateLimitKey != ip("2001:db8:1:2::1").rateLimitKey)
        #expect(ip("192.0.2.1").rateLimitKey == "192.0.2.1")
    }
}

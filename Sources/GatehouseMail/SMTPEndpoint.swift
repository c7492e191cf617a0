import Foundation

/// Username and password for SMTP AUTH. Printing it never shows the password.
public struct SMTPCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let username: String
    public let password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public var description: String { "SMTPCredentials(username: \(username), password: <redacted>)" }
    public var debugDescription: String { description }
    // Keeps `dump()` and debugger mirrors from walking into the password field.
    public var customMirror: Mirror { Mirror(self, children: ["username": username, "password": "<redacted>"]) }
}

/// Where and how to reach an SMTP server, parsed from `smtp://[user:pass@]host[:port]`
/// (STARTTLS, required unless the server is on loopback; default port 25), `smtps://…` (TLS from
/// the first byte, default port 465) or `smtp+insecure://…` (STARTTLS when offered, plaintext
/// otherwise: an explicit opt-in). User and password are percent-decoded.
public struct SMTPEndpoint: Sendable, Equatable {
    public enum Security: Sendable, Equatable {
        /// `smtp://`: plaintext connect, upgraded with STARTTLS, which a non-loopback server must
        /// offer: otherwise an on-path attacker could strip it and read every link in clear.
        case startTLS
        /// `smtp+insecure://`: STARTTLS when offered, plaintext otherwise.
        case startTLSWhenOffered
        /// `smtps://`: implicit TLS.
        case implicitTLS
    }

    public let host: String
    public let port: Int
    public let security: Security
    public let credentials: SMTPCredentials?

    /// Whether mail may go in clear to a server that offers no STARTTLS: on loopback (nothing on
    /// the path), or when the URL said `smtp+insecure://`.
    public func allowsPlaintext(peerIsLoopback: Bool) -> Bool {
        peerIsLoopback || security == .startTLSWhenOffered
    }

    /// - Throws: `SMTPError.invalidURL`, whose reason never repeats the URL.
    public init(url: String) throws {
        guard let schemeEnd = url.range(of: "://") else { throw SMTPError.invalidURL(reason: "missing scheme") }
        var port: Int
        switch url[..<schemeEnd.lowerBound].lowercased() {
        case "smtp": (security, port) = (.startTLS, 25)
        case "smtp+insecure": (security, port) = (.startTLSWhenOffered, 25)
        case "smtps": (security, port) = (.implicitTLS, 465)
        default: throw SMTPError.invalidURL(reason: "scheme must be smtp, smtps or smtp+insecure")
        }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { "/?#".contains($0) }) ?? afterScheme.endIndex
        let trailer = afterScheme[authorityEnd...]
        guard trailer.isEmpty || trailer == "/" else {
            throw SMTPError.invalidURL(reason: "path, query and fragment are not supported")
        }
        var hostPort = afterScheme[..<authorityEnd]

        // The last `@` splits userinfo from host, which tolerates an unencoded `@` in a password.
        if let at = hostPort.lastIndex(of: "@") {
            let userInfo = hostPort[..<at]
            hostPort = hostPort[hostPort.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else {
                throw SMTPError.invalidURL(reason: "credentials must be user:password")
            }
            guard let user = userInfo[..<colon].removingPercentEncoding,
                  let password = userInfo[userInfo.index(after: colon)...].removingPercentEncoding
            else { throw SMTPError.invalidURL(reason: "bad percent-encoding in credentials") }
            guard !user.isEmpty else { throw SMTPError.invalidURL(reason: "empty username") }
            credentials = SMTPCredentials(username: user, password: password)
        } else {
            credentials = nil
        }

        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw SMTPError.invalidURL(reason: "unclosed IPv6 literal") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let rest = hostPort[hostPort.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw SMTPError.invalidURL(reason: "junk after IPv6 literal") }
                portText = rest.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw SMTPError.invalidURL(reason: "bad IPv6 literal")
            }
        } else {
            if let colon = hostPort.firstIndex(of: ":") {
                host = String(hostPort[..<colon])
                portText = hostPort[hostPort.index(after: colon)...]
            } else {
                host = String(hostPort)
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }) else {
                throw SMTPError.invalidURL(reason: "bad host")
            }
        }
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { throw SMTPError.invalidURL(reason: "bad port") }
            port = value
        }
        self.port = port
    }

    /// True when `host` is an IP literal, which must not be sent as TLS SNI; NIOSSL then
    /// checks the certificate against the connected IP address instead.
    var hostIsIPLiteral: Bool {
        host.contains(":") || (host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil })
    }

    /// Whether a connected peer address (as `SocketAddress.ipAddress` prints it) is loopback.
    /// Checked on the socket rather than the hostname, so `/etc/hosts` tricks cannot exempt a remote host.
    static func isLoopback(ipAddress: String?) -> Bool {
        guard let ip = ipAddress?.lowercased() else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }
}

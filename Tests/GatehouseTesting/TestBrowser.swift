import Foundation
import NIOCore
import Testing
import Vapor
import VaporTesting

/// A browser tab: keeps cookies by name and path as a browser would, and the CSRF token in memory.
public final class TestBrowser {
    public struct StoredCookie {
        public var value: String
        public var path: String

        public init(value: String, path: String) {
            self.value = value
            self.path = path
        }
    }

    public let tester: any TestingApplicationTester
    public var cookies: [String: StoredCookie] = [:]
    public var csrfToken: String?

    public init(tester: any TestingApplicationTester) {
        self.tester = tester
    }

    public enum CSRF {
        /// A fresh anonymous token from `GET /auth/csrf`.
        case anonymous
        /// The token this tab holds (from login, refresh or session).
        case held
        case none
        case value(String)
    }

    @discardableResult
    public func send(
        _ method: HTTPMethod, _ path: String, json: [String: any Sendable]? = nil, csrf: CSRF = .none,
        headers extra: HTTPHeaders = [:]
    ) async throws -> TestingHTTPResponse {
        var headers = extra
        switch csrf {
        case .anonymous: headers.add(name: "X-CSRF-TOKEN", value: try await anonymousCSRF())
        case .held: if let csrfToken { headers.add(name: "X-CSRF-TOKEN", value: csrfToken) }
        case .value(let value): headers.add(name: "X-CSRF-TOKEN", value: value)
        case .none: break
        }
        let cookieHeader = cookies.filter { path.hasPrefix($0.value.path) }.map { "\($0.key)=\($0.value.value)" }.sorted().joined(separator: "; ")
        if !cookieHeader.isEmpty { headers.add(name: .cookie, value: cookieHeader) }
        var body: ByteBuffer?
        if let json {
            headers.contentType = .json
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
        }
        let response = try await tester.sendRequest(method, path, headers: headers, body: body)
        for (name, cookie) in response.headers.setCookie?.all ?? [:] {
            if cookie.maxAge == 0 { cookies[name] = nil } else { cookies[name] = StoredCookie(value: cookie.string, path: cookie.path ?? "/") }
        }
        if let token = (try? response.json())?["csrfToken"] as? String { csrfToken = token }
        return response
    }

    public func anonymousCSRF() async throws -> String {
        let response = try await tester.sendRequest(.GET, "/auth/csrf")
        return try #require(try response.json()["csrfToken"] as? String)
    }

    /// A second tab of the same browser: same cookie jar (copied now), its own memory.
    public func copy() -> TestBrowser {
        let other = TestBrowser(tester: tester)
        other.cookies = cookies
        other.csrfToken = csrfToken
        return other
    }
}

import Foundation
import GatehouseTesting
import GatehouseCore
import Testing
import Vapor
import VaporTesting
@testable import WebServer

@Suite("Serving the SPA")
struct WebServerTests {
    /// A built SPA in a temporary folder: an index with the two meta tags and one hashed asset.
    func withWebServer(_ body: (any TestingApplicationTester) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gh-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("assets"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try """
            <!doctype html><html><head><meta name="gatehouse-auth-url" content="http://localhost:9000">\
            <meta name="gatehouse-resource-url" content="http://localhost:8080">\
            <script type="module" src="/assets/app-ABC123.js"></script></head><body></body></html>
            """.write(to: root.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try "console.log(1)".write(to: root.appendingPathComponent("assets/app-ABC123.js"), atomically: true, encoding: .utf8)
        var config = WebServerConfiguration()
        config.webRoot = root.path
        config.authURL = "https://auth.example.com"
        config.resourceURL = "https://api.example.com"
        let app = try await makeWebServer(WebServerSettings(configuration: config, environment: .testing))
        try await app.run { app in try await body(try app.testing()) }
    }

    @Test("every SPA route gets index.html, uncached, with the configured server URLs", arguments: ["/", "/login", "/reset-password?token=abc", "/account", "/auth/callback?status=success"])
    func historyFallback(path: String) async throws {
        try await withWebServer { tester in
            let response = try await tester.sendRequest(.GET, path)
            #expect(response.status == .ok)
            #expect(response.headers.contentType == .html)
            #expect(response.headers.first(name: .cacheControl) == "no-cache")
            let html = response.body.string
            #expect(html.contains(#"<meta name="gatehouse-auth-url" content="https://auth.example.com">"#))
            #expect(html.contains(#"<meta name="gatehouse-resource-url" content="https://api.example.com">"#))
        }
    }

    @Test("hashed assets are cached as immutable with their content type")
    func assets() async throws {
        try await withWebServer { tester in
            let response = try await tester.sendRequest(.GET, "/assets/app-ABC123.js")
            #expect(response.status == .ok)
            #expect(response.headers.first(name: .cacheControl) == "public, max-age=31536000, immutable")
            #expect(response.headers.contentType?.subType == "javascript")
            #expect(try await tester.sendRequest(.GET, "/assets/missing-1.js").status == .notFound)
            #expect(try await tester.sendRequest(.GET, "/favicon.ico").status == .notFound)
        }
    }

    @Test("a strict CSP lets the page reach only the two servers, and nothing frames it")
    func securityHeaders() async throws {
        try await withWebServer { tester in
            let response = try await tester.sendRequest(.GET, "/login")
            let csp = try #require(response.headers.first(name: "Content-Security-Policy"))
            #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"))
            #expect(csp.contains("connect-src https://auth.example.com https://api.example.com"))
            #expect(!csp.contains("unsafe-inline"))
            #expect(response.headers.first(name: "Referrer-Policy") == "no-referrer")
        }
    }

    @Test("nothing outside the web root is reachable", arguments: ["/../Package.swift", "/%2e%2e/%2e%2e/etc/passwd", "/.hidden", "/assets/../../x"])
    func traversal(path: String) async throws {
        try await withWebServer { tester in
            let response = try await tester.sendRequest(.GET, path)
            #expect(!response.body.string.contains("root:"))
            #expect(response.status == .notFound || response.headers.contentType == .html)
        }
    }
}

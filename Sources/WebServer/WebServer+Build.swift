import Foundation
import GatehouseGuard
import Vapor

/// What `makeWebServer` needs beyond the configuration.
public struct WebServerSettings: Sendable {
    public var configuration: WebServerConfiguration
    public var environment: Environment

    public init(configuration: WebServerConfiguration = .init(), environment: Environment = .production) {
        self.configuration = configuration
        self.environment = environment
    }
}

/// Serves the built SPA (`GATEHOUSE_WEB_ROOT`, default `web/dist`): hashed assets cached as immutable,
/// `index.html` never cached and given the server URLs at serve time, history-API fallback, and a
/// strict Content-Security-Policy that lets the page talk to the Auth and Resource Servers only.
public func makeWebServer(_ settings: WebServerSettings) async throws -> Application {
    let config = settings.configuration
    return try await Application.make(settings.environment, host: config.bindHost, port: config.port) { app in
        app.middleware = .init()
        app.middleware.use(StaticSPA(root: config.webRoot, authURL: config.authURL, resourceURL: config.resourceURL))
    }
}

/// The SPA file server, as one middleware so it sees every path (the fallback has no route).
struct StaticSPA: AsyncMiddleware {
    let root: String
    let authURL: String
    let resourceURL: String

    var contentSecurityPolicy: String {
        [
            "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
            "connect-src \(authURL) \(resourceURL)", "manifest-src 'self'", "base-uri 'none'", "form-action 'self'",
            "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.method == .GET || request.method == .HEAD else {
            return decorate(Response(status: .methodNotAllowed, headers: ["Allow": "GET, HEAD"]), cache: "no-store")
        }
        let path = request.url.path.removingPercentEncoding ?? request.url.path
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        // No dot-segments, no hidden files: nothing outside the web root is reachable.
        guard !segments.contains(where: { $0 == ".." || $0.hasPrefix(".") || $0.contains("\0") }) else {
            return decorate(Response(status: .notFound), cache: "no-store")
        }
        let relative = segments.joined(separator: "/")
        if !relative.isEmpty, relative != "index.html", isFile(relative) {
            let response = try await request.fileio.asyncStreamFile(at: absolute(relative))
            let immutable = relative.hasPrefix("assets/")
            return decorate(response, cache: immutable ? "public, max-age=31536000, immutable" : "no-cache")
        }
        // Unknown asset-looking paths are real 404s; every other path is a page of the SPA.
        if relative.hasPrefix("assets/") || (segments.last?.contains(".") == true && relative != "index.html") {
            return decorate(Response(status: .notFound), cache: "no-store")
        }
        return try index()
    }

    private func index() throws -> Response {
        guard let html = try? String(contentsOfFile: absolute("index.html"), encoding: .utf8) else {
            let body = "The SPA is not built yet: run scripts/build-web (web root: \(root))."
            return decorate(Response(status: .serviceUnavailable, body: .init(string: body)), cache: "no-store")
        }
        let configured = html
            .replacingOccurrences(
                of: #"<meta name="gatehouse-auth-url" content="[^"]*">"#,
                with: #"<meta name="gatehouse-auth-url" content="\#(escape(authURL))">"#, options: .regularExpression)
            .replacingOccurrences(
                of: #"<meta name="gatehouse-resource-url" content="[^"]*">"#,
                with: #"<meta name="gatehouse-resource-url" content="\#(escape(resourceURL))">"#, options: .regularExpression)
        let response = Response(status: .ok, body: .init(string: configured))
        response.headers.contentType = .html
        return decorate(response, cache: "no-cache")
    }

    private func decorate(_ response: Response, cache: String) -> Response {
        response.headers.replaceOrAdd(name: .cacheControl, value: cache)
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: contentSecurityPolicy)
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        return response
    }

    private func absolute(_ relative: String) -> String {
        URL(fileURLWithPath: root, isDirectory: true).appendingPathComponent(relative).path
    }

    private func isFile(_ relative: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: absolute(relative), isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    private func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

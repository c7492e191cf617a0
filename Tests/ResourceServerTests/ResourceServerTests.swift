import Foundation
import GatehouseCore
import GatehouseGuard
import Testing
import Vapor
import VaporTesting
@testable import ResourceServer

@Suite("Resource Server authentication")
struct ResourceAuthenticationTests {
    @Test("a valid access-token cookie reads the caller's profile from its claims")
    func profile() async throws {
        try await withResourceServer { server in
            let caller = try server.caller()
            let response = try await server.send(.GET, "/api/profiles/me", headers: caller.headers)
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body["sub"] as? String == caller.user.description)
            #expect(body["email"] as? String == "ann@example.com" && body["firstName"] as? String == "Ann" && body["lastName"] as? String == "Lee")
            #expect(body["roles"] as? [String] == ["user"])
        }
    }

    @Test("an expired token gets 401 with the Refresh challenge, even after it was cached", arguments: [true, false])
    func expired(cache: Bool) async throws {
        try await withResourceServer(cache: cache) { server in
            let caller = try server.caller()
            #expect(try await server.send(.GET, "/api/profiles/me", headers: caller.headers).status == .ok)
            server.clock.advance(by: 900 + 31)
            let response = try await server.send(.GET, "/api/profiles/me", headers: caller.headers)
            #expect(response.status == .unauthorized && response.problemCode == "token_expired")
            #expect(response.headers.first(name: .wwwAuthenticate) == "Refresh")
        }
    }

    @Test("absent, forged, wrong-kind, wrong-issuer, wrong-audience and unknown-key tokens get a plain 401")
    func refused() async throws {
        try await withResourceServer { server in
            let stranger = try SigningKey.generate(.es256)
            let refresh = try TokenIssuer(key: server.key).sign(RefreshTokenClaims(
                iss: ResourceTestServer.issuer, aud: ResourceTestServer.audience, sub: .random(), sid: .random(), jti: .random(),
                issuedAt: server.clock.now(), expiresAt: server.clock.now() + 600))
            let csrf = try server.csrf(for: .random())
            let tokens: [String?] = [
                nil, "garbage", try server.accessToken(signer: stranger), refresh, csrf,
                try server.accessToken(issuer: "http://evil.example"),
                try server.accessToken(audience: [ResourceTestServer.issuer]),
                try server.accessToken() + "x",
            ]
            for token in tokens {
                var headers = HTTPHeaders()
                if let token { headers.add(name: .cookie, value: "access_token=\(token)") }
                let response = try await server.send(.GET, "/api/projects", headers: headers)
                #expect(response.status == .unauthorized && response.problemCode == "unauthenticated")
                #expect(response.headers.first(name: .wwwAuthenticate) != "Refresh")
            }
        }
    }

    @Test("state changes need the session CSRF token of the access token's own session")
    func csrfBinding() async throws {
        try await withResourceServer { server in
            let caller = try server.caller()
            var missing = caller.headers
            missing.remove(name: "X-CSRF-TOKEN")
            var otherSession = missing
            otherSession.add(name: "X-CSRF-TOKEN", value: try server.csrf(for: .random()))
            var anonymous = missing
            anonymous.add(name: "X-CSRF-TOKEN", value: try TokenIssuer(key: server.key).sign(CSRFTokenClaims.anonymous(issuer: ResourceTestServer.issuer, issuedAt: server.clock.now())))
            for headers in [missing, otherSession, anonymous] {
                let response = try await server.send(.POST, "/api/projects", headers: headers, json: ["name": "x"])
                #expect(response.status == .forbidden && response.problemCode == "csrf_invalid")
            }
            #expect(try await server.send(.POST, "/api/projects", headers: caller.headers, json: ["name": "x"]).status == .created)
        }
    }

    @Test("health and info need no token; CORS allows only the SPA origin")
    func publicRoutes() async throws {
        try await withResourceServer { server in
            #expect(try await server.send(.GET, "/actuator/health", headers: [:]).status == .ok)
            #expect(try await server.send(.GET, "/actuator/info", headers: [:]).status == .ok)
            let preflight = try await server.send(.OPTIONS, "/api/projects", headers: [
                "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-csrf-token",
            ])
            #expect(preflight.headers.first(name: "Access-Control-Allow-Origin") == "http://localhost:5173")
            #expect(preflight.headers.first(name: "Access-Control-Allow-Credentials") == "true")
            let evil = try await server.send(.OPTIONS, "/api/projects", headers: ["Origin": "http://evil.example", "Access-Control-Request-Method": "POST"])
            #expect(evil.headers.first(name: "Access-Control-Allow-Origin") != "http://evil.example")
        }
    }

    @Test("GET /openapi.json describes exactly the routes the Resource Server serves")
    func openAPI() async throws {
        try await withResourceServer { server in
            let answer = try await server.send(.GET, "/openapi.json", headers: [:])
            #expect(answer.status == .ok)
            let (undocumented, unrouted) = try OpenAPIEndpoint.mismatches(routes: server.app.routes, document: Data(buffer: answer.body))
            #expect(undocumented == [] && unrouted == [], "undocumented \(undocumented), unrouted \(unrouted)")
        }
    }

    @Test("metrics count answers by route pattern and status, in Prometheus text format")
    func metrics() async throws {
        try await withResourceServer { server in
            _ = try await server.send(.GET, "/api/profiles/me", headers: [:])
            _ = try await server.send(.GET, "/no/such/path", headers: [:])
            let scrape = try await server.send(.GET, "/actuator/prometheus", headers: [:])
            #expect(scrape.status == .ok)
            let text = scrape.body.string
            #expect(text.contains(#"gatehouse_http_requests_total{route="/api/profiles/me",method="GET",status="401"} 1"#))
            #expect(text.contains(#"gatehouse_http_requests_total{route="unmatched",method="GET",status="404"} 1"#))
        }
    }
}

@Suite("Projects")
struct ProjectTests {
    @Test("a person creates, lists, renames and deletes their projects")
    func lifecycle() async throws {
        try await withResourceServer { server in
            let caller = try server.caller()
            let created = try await server.send(.POST, "/api/projects", headers: caller.headers, json: ["name": "  Apollo ", "description": "moon"])
            #expect(created.status == .created)
            let project = try created.json()
            let id = try #require(project["id"] as? String)
            #expect(project["name"] as? String == "Apollo" && project["createdAt"] is String && project["updatedAt"] is String)
            server.clock.advance(by: 5)
            let renamed = try await server.send(.PATCH, "/api/projects/\(id)", headers: caller.headers, json: ["name": "Artemis"])
            #expect(renamed.status == .ok)
            #expect(try renamed.json()["name"] as? String == "Artemis")
            #expect(try renamed.json()["description"] as? String == "moon")
            let list = try await server.send(.GET, "/api/projects", headers: caller.headers).jsonArray()
            #expect(list.map { $0["name"] as? String } == ["Artemis"])
            #expect(try await server.send(.DELETE, "/api/projects/\(id)", headers: caller.headers).status == .noContent)
            #expect(try await server.send(.GET, "/api/projects", headers: caller.headers).jsonArray().isEmpty)
        }
    }

    @Test("another person's project is not found, and not listed")
    func ownership() async throws {
        try await withResourceServer { server in
            let alice = try server.caller()
            let mallory = try server.caller()
            let id = try #require(try await server.send(.POST, "/api/projects", headers: alice.headers, json: ["name": "Secret"]).json()["id"] as? String)
            #expect(try await server.send(.GET, "/api/projects", headers: mallory.headers).jsonArray().isEmpty)
            #expect(try await server.send(.PATCH, "/api/projects/\(id)", headers: mallory.headers, json: ["name": "Mine"]).status == .notFound)
            #expect(try await server.send(.DELETE, "/api/projects/\(id)", headers: mallory.headers).status == .notFound)
            #expect(try await server.send(.DELETE, "/api/projects/not-a-uuid", headers: mallory.headers).status == .notFound)
            #expect(try await server.send(.GET, "/api/projects", headers: alice.headers).jsonArray().count == 1)
        }
    }

    @Test("field rules and bad bodies are problem+json")
    func validation() async throws {
        try await withResourceServer { server in
            let caller = try server.caller()
            let empty = try await server.send(.POST, "/api/projects", headers: caller.headers, json: ["name": "   "])
            #expect(empty.status == .badRequest && empty.problemCode == "validation_failed")
            let long = try await server.send(.POST, "/api/projects", headers: caller.headers, json: ["name": String(repeating: "n", count: 101)])
            #expect(long.problemCode == "validation_failed")
            let wrongType = try await server.send(.POST, "/api/projects", headers: caller.headers, json: ["name": 42])
            #expect(wrongType.status == .badRequest && wrongType.problemCode == "bad_request")
            #expect(empty.headers.contentType?.description.hasPrefix("application/problem+json") == true)
        }
    }
}

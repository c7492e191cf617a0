import Foundation
import GatehouseGuard
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

/// `GET /actuator/prometheus` (CONTRACT "Operations"): the counters an operator watches move with
/// what happens.
@Suite("Metrics", .onEveryDatabase)
struct MetricsTests {
    /// The value of the sample `series` (name with labels, exactly as exposed), or nil when absent.
    static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    func scrape(_ server: TestServer, headers: HTTPHeaders = [:]) async throws -> String {
        let answer = try await server.browser().send(.GET, "/actuator/prometheus", headers: headers)
        #expect(answer.status == .ok)
        #expect(answer.headers.first(name: .contentType)?.hasPrefix("text/plain; version=0.0.4") == true)
        return answer.body.string
    }

    @Test("a login, each refresh outcome, a mail and a rate limit move the right counters; HTTP answers are counted by route")
    func countersMove() async throws {
        try await withServer() { server in
            let before = try await scrape(server)
            for outcome in ["rotated", "raced", "refused", "reuse"] {
                #expect(Self.value("gatehouse_refreshes_total{outcome=\"\(outcome)\"}", in: before) == 0, "\(outcome) exists at zero")
            }
            #expect(Self.value("gatehouse_password_hash_queue_depth", in: before) == 0)

            let email = try await server.makeUser()  // one mail queued and sent
            let tab = try await server.login(email)
            let racer = tab.copy(), thief = tab.copy()
            #expect(try await tab.send(.POST, "/auth/refresh", csrf: .held).status == .ok)  // rotated
            #expect(try await racer.send(.POST, "/auth/refresh", csrf: .held).status == .ok)  // raced (grace)
            server.clock.advance(by: 6)
            #expect(try await thief.send(.POST, "/auth/refresh", csrf: .held).status == .unauthorized)  // reuse
            #expect(try await server.browser().send(.POST, "/auth/refresh", csrf: .anonymous).status == .unauthorized)  // refused
            _ = try await server.browser().send(.POST, "/auth/login", json: ["email": email, "password": "wrong password"], csrf: .anonymous)

            let after = try await scrape(server)
            #expect(Self.value("gatehouse_logins_total{outcome=\"success\"}", in: after) == 1)
            #expect(Self.value("gatehouse_logins_total{outcome=\"invalid_credentials\"}", in: after) == 1)
            for outcome in ["rotated", "raced", "refused", "reuse"] {
                #expect(Self.value("gatehouse_refreshes_total{outcome=\"\(outcome)\"}", in: after) == 1, "\(outcome)")
            }
            #expect(Self.value("gatehouse_mails_total{state=\"queued\"}", in: after) == 1)
            #expect(Self.value("gatehouse_mails_total{state=\"sent\"}", in: after) == 1)
            #expect(Self.value("gatehouse_http_requests_total{route=\"/auth/login\",method=\"POST\",status=\"200\"}", in: after) == 1)
            #expect(after.contains("gatehouse_http_request_duration_seconds_bucket{route=\"/auth/login\",method=\"POST\",status=\"200\""))

            for _ in 0..<10 {
                _ = try await server.browser().send(.POST, "/auth/login", json: ["email": email, "password": "wrong"], csrf: .anonymous)
            }
            let limited = try await scrape(server)
            #expect(Self.value("gatehouse_rate_limited_requests_total{limit=\"login\"}", in: limited) ?? 0 >= 1)
            #expect(Self.value("gatehouse_logins_total{outcome=\"rate_limited\"}", in: limited) ?? 0 >= 1)
        }
    }

    @Test("a failed delivery counts as retried, a mail held back by the recipient limit as held_back")
    func mailStates() async throws {
        try await withServer() { server in
            server.mailer.failNext(1)
            _ = try await server.register("retry@example.com")
            try await server.deliverMail()
            let text = try await scrape(server)
            #expect(Self.value("gatehouse_mails_total{state=\"retried\"}", in: text) == 1)
            #expect(Self.value("gatehouse_mails_total{state=\"held_back\"}", in: text) == 0)
        }
    }

    @Test("with a metrics token, a scrape needs it as a bearer token")
    func token() async throws {
        try await withServer(configure: { $0.metricsToken = "scrape-secret" }) { server in
            let refused = try await server.browser().send(.GET, "/actuator/prometheus")
            #expect(refused.status == .unauthorized && refused.problemCode == "unauthenticated")
            let wrong = try await server.browser().send(.GET, "/actuator/prometheus", headers: ["Authorization": "Bearer nope"])
            #expect(wrong.status == .unauthorized)
            _ = try await scrape(server, headers: ["Authorization": "Bearer scrape-secret"])
        }
    }
}

@Suite("The OpenAPI document")
struct OpenAPITests {
    @Test("GET /openapi.json serves the OpenAPI 3.1 document, and it describes exactly the routes the Auth Server serves")
    func documentMatchesRoutes() async throws {
        try await withServer(.sqlite) { server in
            let answer = try await server.browser().send(.GET, "/openapi.json")
            #expect(answer.status == .ok && answer.headers.contentType == .json)
            let document = Data(buffer: answer.body)
            #expect((try JSONSerialization.jsonObject(with: document) as? [String: Any])?["openapi"] as? String == "3.1.0")
            let (undocumented, unrouted) = try OpenAPIEndpoint.mismatches(routes: server.app.routes, document: document)
            #expect(undocumented == [], "routes missing from openapi.json")
            #expect(unrouted == [], "documented operations nothing serves")
        }
    }
}

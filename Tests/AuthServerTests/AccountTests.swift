import Foundation
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

@Suite("Sessions and passwords", .onEveryDatabase)
struct AccountTests {
    @Test("a person sees their sessions, ends another one and then all others")
    func sessionList() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let laptop = try await server.login(email)
            let phone = try await server.login(email)
            _ = try await server.login(email)
            let list = try await laptop.send(.GET, "/auth/sessions").jsonArray()
            #expect(list.count == 3)
            #expect(list.filter { $0["current"] as? Bool == true }.count == 1)
            let phoneID = try #require(try await phone.send(.GET, "/auth/sessions").jsonArray().first { $0["current"] as? Bool == true }?["id"] as? String)
            #expect(try await laptop.send(.DELETE, "/auth/sessions/\(phoneID)", csrf: .held).status == .noContent)
            #expect(try await phone.send(.POST, "/auth/refresh", csrf: .held).problemCode == "session_expired")
            let revoked = try await laptop.send(.POST, "/auth/sessions/revoke-others", csrf: .held).json()
            #expect(revoked["revoked"] as? Int == 1)
            #expect(try await laptop.send(.GET, "/auth/sessions").jsonArray().count == 1)
        }
    }

    @Test("ending someone else's session is not found")
    func otherUsersSession() async throws {
        try await withServer() { server in
            let mallory = try await server.login(try await server.makeUser())
            let alice = try await server.login(try await server.makeUser())
            let aliceSession = try #require(try await alice.send(.GET, "/auth/sessions").jsonArray().first?["id"] as? String)
            let response = try await mallory.send(.DELETE, "/auth/sessions/\(aliceSession)", csrf: .held)
            #expect(response.status == .notFound)
            #expect(try await alice.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
        }
    }

    @Test("changing the password needs the current one and ends the other sessions")
    func changePassword() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let here = try await server.login(email)
            let elsewhere = try await server.login(email)
            let wrong = try await here.send(.POST, "/auth/change-password", json: ["currentPassword": "wrong one!", "newPassword": "a brand new secret"], csrf: .held)
            #expect(wrong.status == .badRequest && wrong.problemCode == "invalid_credentials")
            let ok = try await here.send(.POST, "/auth/change-password", json: ["currentPassword": TestServer.password, "newPassword": "a brand new secret"], csrf: .held)
            #expect(ok.status == .ok)
            #expect(try await here.send(.POST, "/auth/refresh", csrf: .held).status == .ok)
            #expect(try await elsewhere.send(.POST, "/auth/refresh", csrf: .held).problemCode == "session_expired")
            _ = try await server.login(email, password: "a brand new secret")
            #expect(try await server.deliverMail().last?.subject == "Your password was changed")
        }
    }

    @Test("a reset link comes from configuration, works once, and ends every session")
    func resetPassword() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let session = try await server.login(email)
            let forgot = try await server.browser().send(
                .POST, "/auth/forgot-password", json: ["email": email], csrf: .anonymous,
                headers: ["Host": "evil.example", "X-Forwarded-Host": "evil.example"])
            #expect(forgot.status == .accepted)
            let token = try await server.token(mailedTo: email, linkPrefix: "http://localhost:5173/reset-password?token=")
            let reset = try await server.browser().send(.POST, "/auth/reset-password", json: ["token": token, "newPassword": "my new passphrase"], csrf: .anonymous)
            #expect(reset.status == .ok)
            #expect(reset.setCookies["refresh_token"]?.maxAge == 0)
            #expect(try await session.send(.POST, "/auth/refresh", csrf: .held).problemCode == "session_expired")
            let again = try await server.browser().send(.POST, "/auth/reset-password", json: ["token": token, "newPassword": "another passphrase"], csrf: .anonymous)
            #expect(again.status == .badRequest && again.problemCode == "invalid_token")
            _ = try await server.login(email, password: "my new passphrase")
        }
    }

    @Test("a reset link expires after 30 minutes, and forgot answers alike for unknown addresses")
    func resetExpiry() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let known = try await server.browser().send(.POST, "/auth/forgot-password", json: ["email": email], csrf: .anonymous)
            let unknown = try await server.browser().send(.POST, "/auth/forgot-password", json: ["email": "ghost@example.com"], csrf: .anonymous)
            #expect(known.status == .accepted && known.body == unknown.body)
            let token = try await server.token(mailedTo: email, linkPrefix: "/reset-password?token=")
            server.clock.advance(by: 30 * 60 + 1)
            let late = try await server.browser().send(.POST, "/auth/reset-password", json: ["token": token, "newPassword": "my new passphrase"], csrf: .anonymous)
            #expect(late.problemCode == "invalid_token")
        }
    }
}

@Suite("Mail delivery", .onEveryDatabase)
struct MailDeliveryTests {
    @Test("a mail that fails to send is retried later and delivered once; its body is then wiped")
    func retries() async throws {
        try await withServer() { server in
            server.mailer.failNext(1)
            _ = try await server.register("retry@example.com")
            #expect(try await server.deliverMail().isEmpty)
            #expect(try await server.deliverMail().isEmpty, "not due again before its backoff")
            server.clock.advance(by: 11)
            #expect(try await server.deliverMail().count == 1)
            #expect(try await server.deliverMail().count == 1)
            let record = try #require(try await OutboxMessageRecord.query(on: server.app.db).first())
            #expect(record.sentAt != nil && record.attempts == 1 && record.textBody.isEmpty)
        }
    }

    @Test("the registration, its token and its mail commit together")
    func transactional() async throws {
        try await withServer() { server in
            _ = try await server.register("tx@example.com")
            #expect(try await UserRecord.query(on: server.app.db).count() == 1)
            #expect(try await OneTimeTokenRecord.query(on: server.app.db).count() == 1)
            #expect(try await OutboxMessageRecord.query(on: server.app.db).count() == 1)
            let stored = try #require(try await OneTimeTokenRecord.query(on: server.app.db).first())
            let mailed = try await server.confirmationToken(for: "tx@example.com")
            #expect(stored.tokenHash != mailed && stored.tokenHash.count == 64)
        }
    }
}

@Suite("Errors, CORS and metadata", .onEveryDatabase)
struct ProtocolTests {
    @Test("unknown routes, wrong methods and bad bodies are problem+json")
    func problems() async throws {
        try await withServer() { server in
            let browser = try server.browser()
            let missing = try await browser.send(.GET, "/nope")
            #expect(missing.status == .notFound && missing.problemCode == "not_found")
            let method = try await browser.send(.PUT, "/auth/login")
            #expect(method.status == .methodNotAllowed && method.headers.first(name: .allow) == "POST")
            var headers = HTTPHeaders([("X-CSRF-TOKEN", try await browser.anonymousCSRF())])
            headers.contentType = .json
            let malformed = try await browser.tester.sendRequest(.POST, "/auth/login", headers: headers, body: ByteBuffer(string: "{not json"))
            #expect(malformed.status == .badRequest && malformed.problemCode == "bad_request")
            let wrongShape = try await browser.send(.POST, "/auth/login", json: ["email": 42, "password": ["x"]], csrf: .anonymous)
            #expect(wrongShape.problemCode == "bad_request")
            for response in [missing, method, malformed, wrongShape] {
                #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true)
                let body = try response.json()
                #expect(body["type"] is String && body["title"] is String && body["status"] is Int && body["code"] is String)
            }
        }
    }

    @Test("CORS allows the SPA origin with credentials and the CSRF header, and no other origin")
    func cors() async throws {
        try await withServer() { server in
            let tester = try server.tester
            let allowed = try await tester.sendRequest(.OPTIONS, "/auth/login", headers: [
                "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, x-csrf-token",
            ])
            #expect(allowed.headers.first(name: "Access-Control-Allow-Origin") == "http://localhost:5173")
            #expect(allowed.headers.first(name: "Access-Control-Allow-Credentials") == "true")
            #expect(allowed.headers.first(name: "Access-Control-Allow-Headers")?.lowercased().contains("x-csrf-token") == true)
            let other = try await tester.sendRequest(.OPTIONS, "/auth/login", headers: ["Origin": "http://evil.example", "Access-Control-Request-Method": "POST"])
            #expect(other.headers.first(name: "Access-Control-Allow-Origin") != "http://evil.example")
        }
    }

    @Test("issuer metadata, JWKS and health are public")
    func metadata() async throws {
        try await withServer() { server in
            let tester = try server.tester
            let config = try await tester.sendRequest(.GET, "/.well-known/openid-configuration").json()
            #expect(config["issuer"] as? String == "http://localhost:9000")
            #expect(config["jwks_uri"] as? String == "http://localhost:9000/.well-known/jwks.json")
            let jwks = try await tester.sendRequest(.GET, "/.well-known/jwks.json").json()
            #expect((jwks["keys"] as? [[String: Any]])?.count == 1)
            let health = try await tester.sendRequest(.GET, "/actuator/health")
            let healthBody = try health.json()
            #expect(health.status == .ok && healthBody["status"] as? String == "UP")
            #expect(try await tester.sendRequest(.GET, "/actuator/info").status == .ok)
        }
    }

    @Test("Argon2id hashes use OWASP's parameters")
    func argon2Parameters() async throws {
        let pool = HashingPool()
        let hasher = try PasswordHasher(pool: pool)
        let hash = try await hasher.hash("a fine password")
        #expect(hash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(try await hasher.verify("a fine password", against: hash))
        #expect(try await !hasher.verify("a fine passwore", against: hash))
        #expect(try await !hasher.verify("a fine password", against: nil))
        await pool.shutdown()
    }

    @Test("the hashing pool queues a bounded number of hashes and refuses the rest with 503 and Retry-After")
    func hashingPoolIsBounded() async throws {
        let pool = HashingPool(threads: 1, maximumWaiting: 1)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    do {
                        _ = try await pool.run { Thread.sleep(forTimeInterval: 0.3) }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        // One running and one waiting are admitted; the other two are refused at once.
        #expect(outcomes.filter { $0 }.count == 2)
        #expect(pool.depth == 0)
        let problem = HashingPoolFull().problem
        #expect(problem.status == .serviceUnavailable && problem.headers.first(name: .retryAfter) == "2")
        await pool.shutdown()
    }
}

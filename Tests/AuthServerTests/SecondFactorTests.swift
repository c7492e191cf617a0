import Fluent
import Foundation
import GatehouseTesting
import Testing
import Vapor
import VaporTesting
@testable import AuthServer

// Vapor has a TOTP of its own; these tests mean Gatehouse's.
typealias TOTP = AuthServer.TOTP

@Suite("TOTP (RFC 6238)")
struct TOTPTests {
    /// RFC 6238 appendix B, SHA-1, 8 digits, with the RFC's 20-byte ASCII secret.
    @Test("RFC 6238 test vectors", arguments: [
        (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"), (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
    ])
    func vectors(time: Int, expected: String) {
        var totp = TOTP(secret: Array("12345678901234567890".utf8))
        totp.digits = 8
        #expect(totp.code(at: Date(timeIntervalSince1970: TimeInterval(time))) == expected)
    }

    @Test("six digits, one step of drift either way, nothing further")
    func drift() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let now = Date(timeIntervalSince1970: 1_111_111_109)
        #expect(totp.code(at: now) == "081804")
        #expect(totp.matchingCounter(totp.code(at: now - 30), at: now) == totp.counter(at: now) - 1)
        #expect(totp.matchingCounter(totp.code(at: now + 30), at: now) == totp.counter(at: now) + 1)
        #expect(totp.matchingCounter(totp.code(at: now - 60), at: now) == nil)
        #expect(totp.matchingCounter("12345", at: now) == nil)
    }

    @Test("base32 round-trips and the otpauth URI carries secret, issuer and parameters")
    func uri() {
        let secret = Array("12345678901234567890".utf8)
        #expect(Base32.encode(secret) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(Base32.decode("gezdgnbvgy3tqojqgezdgnbvgy3tqojq") == secret)
        #expect(Base32.decode("1!") == nil)
        let uri = TOTP(secret: secret).uri(issuer: "Gatehouse", account: "ann@example.com")
        #expect(uri == "otpauth://totp/Gatehouse:ann@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30")
    }
}

@Suite("Second factors", .onEveryDatabase)
struct SecondFactorTests {
    /// Enrols TOTP for a signed-in browser; returns the authenticator and the recovery codes.
    func enrol(_ server: TestServer, _ browser: TestBrowser) async throws -> (TOTP, [String]) {
        let begun = try await browser.send(.POST, "/auth/mfa/totp", csrf: .held)
        #expect(begun.status == .ok)
        let secret = try #require(try begun.json()["secret"] as? String)
        #expect((try begun.json()["otpauthUri"] as? String)?.hasPrefix("otpauth://totp/Gatehouse:") == true)
        let totp = TOTP(secret: try #require(Base32.decode(secret)))
        let wrong = try await browser.send(.POST, "/auth/mfa/totp/confirm", json: ["code": "000000"], csrf: .held)
        #expect(wrong.status == .badRequest && wrong.problemCode == "invalid_code")
        let confirmed = try await browser.send(.POST, "/auth/mfa/totp/confirm", json: ["code": totp.code(at: server.clock.now())], csrf: .held)
        #expect(confirmed.status == .ok)
        let codes = try #require(try confirmed.json()["recoveryCodes"] as? [String])
        #expect(codes.count == 10 && Set(codes).count == 10)
        return (totp, codes)
    }

    func passwordStep(_ server: TestServer, _ email: String) async throws -> (TestBrowser, String) {
        let browser = try server.browser()
        let answer = try await browser.send(.POST, "/auth/login", json: ["email": email, "password": TestServer.password], csrf: .anonymous)
        #expect(answer.status == .ok)
        #expect(try answer.json()["mfaRequired"] as? Bool == true)
        #expect(try answer.json()["methods"] as? [String] == ["totp", "recovery_code"])
        #expect(answer.setCookies["refresh_token"] == nil && answer.setCookies["access_token"] == nil, "no session before the second factor")
        return (browser, try #require(try answer.json()["mfaToken"] as? String))
    }

    @Test("enrolled TOTP is asked for after the password; a code works once; recovery codes work once each")
    func loginWithTOTP() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let enrolling = try await server.login(email)
            #expect(try await enrolling.send(.GET, "/auth/user").json()["mfa"] as? [String: Bool] == ["totp": false])
            let (totp, codes) = try await enrol(server, enrolling)
            #expect(try await enrolling.send(.GET, "/auth/user").json()["mfa"] as? [String: Bool] == ["totp": true])
            #expect(try await enrolling.send(.GET, "/auth/user").json()["hasPassword"] as? Bool == true)

            let (browser, token) = try await passwordStep(server, email)
            server.clock.advance(by: 30)
            let code = totp.code(at: server.clock.now())
            let done = try await browser.send(.POST, "/auth/login/second-factor", json: ["mfaToken": token, "code": code], csrf: .anonymous)
            #expect(done.status == .ok && done.setCookies["refresh_token"] != nil)
            #expect(try await browser.send(.GET, "/auth/user").json()["email"] as? String == email)
            // The same code again, in the same step, is refused; so is the spent token.
            let (other, second) = try await passwordStep(server, email)
            let replay = try await other.send(.POST, "/auth/login/second-factor", json: ["mfaToken": second, "code": code], csrf: .anonymous)
            #expect(replay.status == .unauthorized && replay.problemCode == "invalid_code")
            #expect(try await other.send(.POST, "/auth/login/second-factor", json: ["mfaToken": token, "code": code], csrf: .anonymous).status == .unauthorized)

            // A recovery code, typed in capitals with spaces, works once.
            let typed = codes[0].uppercased().replacingOccurrences(of: "-", with: " ")
            #expect(try await other.send(.POST, "/auth/login/second-factor", json: ["mfaToken": second, "recoveryCode": typed], csrf: .anonymous).status == .ok)
            let (third, thirdToken) = try await passwordStep(server, email)
            #expect(try await third.send(.POST, "/auth/login/second-factor", json: ["mfaToken": thirdToken, "recoveryCode": codes[0]], csrf: .anonymous).status == .unauthorized)
            #expect(try await server.notableEvents() == ["mfa_enabled"])
        }
    }

    @Test("the token dies after five wrong codes; wrong codes count as login attempts")
    func wrongCodes() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let (totp, _) = try await enrol(server, try await server.login(email))
            let (browser, token) = try await passwordStep(server, email)
            for _ in 0..<5 {
                let wrong = try await browser.send(.POST, "/auth/login/second-factor", json: ["mfaToken": token, "code": "123456"], csrf: .anonymous)
                #expect(wrong.problemCode == "invalid_code")
            }
            let late = try await browser.send(
                .POST, "/auth/login/second-factor", json: ["mfaToken": token, "code": totp.code(at: server.clock.now())], csrf: .anonymous)
            #expect(late.status == .unauthorized && late.setCookies["refresh_token"] == nil)
            // One password and six codes so far count on the account: a few more tries hit the login limit.
            var statuses: [HTTPStatus] = []
            for _ in 0..<3 {
                let again = try server.browser()
                let password = try await again.send(.POST, "/auth/login", json: ["email": email, "password": TestServer.password], csrf: .anonymous)
                statuses.append(password.status)
                guard let fresh = try? password.json()["mfaToken"] as? String else { continue }
                statuses.append(try await again.send(.POST, "/auth/login/second-factor", json: ["mfaToken": fresh, "code": "654321"], csrf: .anonymous).status)
            }
            #expect(statuses.contains(.tooManyRequests), "\(statuses)")
        }
    }

    @Test("turning TOTP off and new recovery codes need recent authentication; off means the password alone signs in")
    func disableAndRegenerate() async throws {
        try await withServer() { server in
            let email = try await server.makeUser()
            let browser = try await server.login(email)
            let (totp, oldCodes) = try await enrol(server, browser)
            #expect(try await browser.send(.POST, "/auth/mfa/totp", csrf: .held).problemCode == "mfa_already_enabled")
            let fresh = try #require(try await browser.send(.POST, "/auth/mfa/recovery-codes", csrf: .held).json()["recoveryCodes"] as? [String])
            #expect(fresh.count == 10 && Set(fresh).isDisjoint(with: oldCodes))
            server.clock.advance(by: 301)
            #expect(try await browser.send(.DELETE, "/auth/mfa/totp", csrf: .held).problemCode == "reauthentication_required")
            // A code from the app proves it as well as the password does.
            #expect(try await browser.send(.POST, "/auth/reauthenticate", json: ["code": "000000"], csrf: .held).problemCode == "invalid_code")
            #expect(try await browser.send(
                .POST, "/auth/reauthenticate", json: ["code": totp.code(at: server.clock.now())], csrf: .held).status == .ok)
            #expect(try await browser.send(.DELETE, "/auth/mfa/totp", csrf: .held).status == .noContent)
            _ = try await server.login(email)
            #expect(try await server.notableEvents() == ["mfa_enabled", "mfa_disabled"])
        }
    }
}

import Foundation
import Vapor
import VaporTesting

extension TestingHTTPResponse {
    public func json() throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    public func jsonArray() throws -> [[String: Any]] {
        (try JSONSerialization.jsonObject(with: Data(buffer: body))) as? [[String: Any]] ?? []
    }

    public var problemCode: String? { (try? json())?["code"] as? String }

    public var setCookies: [String: HTTPCookies.Value] { headers.setCookie?.all ?? [:] }
}

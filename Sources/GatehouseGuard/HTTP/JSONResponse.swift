import Foundation
import Vapor

/// Encodes `value` as a JSON response with `status`, never cached. Keys are sorted so that equal
/// answers are byte-for-byte equal (an enumeration probe must not tell two 202s apart).
public func jsonResponse(_ value: some Encodable, status: HTTPResponseStatus = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let response = Response(status: status, body: .init(data: try encoder.encode(value)))
    response.headers.contentType = .json
    response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
    return response
}

/// ISO-8601 UTC with seconds, as timestamps are written on the wire.
public func iso8601(_ date: Date) -> String {
    date.formatted(.iso8601)
}

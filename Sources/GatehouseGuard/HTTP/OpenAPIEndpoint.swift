import Vapor

/// `GET /openapi.json`: the server's OpenAPI 3.1 document, served as it is bundled. The document
/// is the one description of the API: each server's tests check its routes against it (every route
/// documented, every documented path routed) and fuzz the running server with it.
public struct OpenAPIEndpoint: RouteCollection {
    let document: Data

    public init(document: Data) {
        self.document = document
    }

    /// The document bundled as `openapi.json` in `bundle`.
    public init(bundle: Bundle) throws {
        guard let url = bundle.url(forResource: "openapi", withExtension: "json") else { throw Abort(.internalServerError) }
        self.init(document: try Data(contentsOf: url))
    }

    public func boot(routes: any RoutesBuilder) throws {
        routes.get("openapi.json", use: serve)
    }

    func serve(_ req: Request) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.replaceOrAdd(name: .cacheControl, value: "no-cache")
        return Response(status: .ok, headers: headers, body: .init(data: document))
    }

    /// The routes `routes` serves that the document does not describe, and the documented
    /// operations nothing serves, as `METHOD /path/{param}` strings: both empty when they agree.
    public static func mismatches(routes: Routes, document: Data) throws -> (undocumented: [String], unrouted: [String]) {
        let object = try JSONSerialization.jsonObject(with: document) as? [String: Any]
        let paths = object?["paths"] as? [String: Any] ?? [:]
        var documented: Set<String> = []
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where ["get", "put", "post", "delete", "patch"].contains(method) {
                documented.insert("\(method.uppercased()) \(Self.normalised(path))")
            }
        }
        let routed = Set(routes.all.map { route in
            "\(route.method.rawValue) /" + route.path.map { component -> String in
                if case .parameter(let name) = component { return "{\(name)}" }
                return component.description
            }.joined(separator: "/")
        }.map(Self.normalised))
        return (routed.subtracting(documented).sorted(), documented.subtracting(routed).sorted())
    }

    /// Parameter names do not matter for matching: `/a/{id}` and `/a/{x}` are one path.
    private static func normalised(_ operation: String) -> String {
        operation.replacing(#/\{[^}]*\}/#, with: "{}")
    }
}

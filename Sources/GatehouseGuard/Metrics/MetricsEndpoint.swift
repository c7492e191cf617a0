import GatehouseCore
import Vapor

/// `GET /actuator/prometheus`: the server's metrics in Prometheus text format. With a token
/// configured (`GATEHOUSE_METRICS_TOKEN`) it needs `Authorization: Bearer <token>`, compared in
/// constant time; otherwise it is public like the other actuator endpoints.
public struct MetricsEndpoint: RouteCollection {
    let metrics: ServerMetrics
    let token: String?

    public init(metrics: ServerMetrics, token: String?) {
        self.metrics = metrics
        self.token = token
    }

    public func boot(routes: any RoutesBuilder) throws {
        routes.get("actuator", "prometheus", use: scrape)
    }

    func scrape(_ req: Request) throws -> Response {
        if let token {
            guard let presented = req.headers.bearerAuthorization?.token, Secrets.constantTimeEquals(presented, token) else {
                throw Problem(.unauthorized, code: "unauthenticated", title: "Unauthenticated", detail: "A metrics token is required.")
            }
        }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return Response(status: .ok, headers: headers, body: .init(data: Data(metrics.render())))
    }
}

import Vapor

/// Counts and times every answer by route pattern, method and status (``ServerMetrics``). Outermost,
/// so it sees the status the client gets, errors included. Future-based: an async middleware would
/// cost every request a task (see the README's benchmark notes).
public struct HTTPMetricsMiddleware: Middleware {
    let metrics: ServerMetrics

    public init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let started = ContinuousClock.now
        return next.respond(to: request).map { response in
            metrics.recordRequest(
                route: Self.routeLabel(request), method: request.method.rawValue, status: response.status.code,
                duration: ContinuousClock.now - started)
            return response
        }
    }

    /// `/auth/sessions/:id` for a matched route; `unmatched` otherwise, so unknown paths cannot
    /// grow the label set.
    static func routeLabel(_ request: Request) -> String {
        guard let route = request.route else { return "unmatched" }
        return "/" + route.path.map(\.description).joined(separator: "/")
    }
}

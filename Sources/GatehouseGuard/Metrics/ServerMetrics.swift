import NIOConcurrencyHelpers
import Prometheus

/// One server's metrics, in Prometheus text format at `GET /actuator/prometheus`. A registry per
/// application (not a process-global one), so several servers in one process, and tests, keep
/// their counts apart.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let http = NIOLockedValueBox<[HTTPKey: (Counter, DurationHistogram)]>([:])
    private let samplers = NIOLockedValueBox<[@Sendable () -> Void]>([])

    public init() {}

    struct HTTPKey: Hashable {
        let route: String
        let method: String
        let status: UInt
    }

    /// Counts one answered request and its duration, by route pattern (never the raw path, so the
    /// label set stays small), method and status.
    func recordRequest(route: String, method: String, status: UInt, duration: Duration) {
        let key = HTTPKey(route: route, method: method, status: status)
        let (counter, histogram) = http.withLockedValue { cache in
            if let known = cache[key] { return known }
            let labels = [("route", route), ("method", method), ("status", String(status))]
            let made = (
                registry.makeCounter(descriptor: Self.requests, labels: labels),
                registry.makeDurationHistogram(descriptor: Self.durations, labels: labels, buckets: Self.buckets))
            cache[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }

    /// A counter of this server's own, e.g. logins by outcome.
    public func counter(_ name: String, help: String, labels: [(String, String)] = []) -> Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "gatehouse", metricName: name, unitName: "total", helpText: help), labels: labels)
    }

    /// A gauge whose value `sample` reads when the metrics are scraped (e.g. a queue's depth).
    public func gauge(_ name: String, help: String, sample: @escaping @Sendable () -> Double) {
        let gauge = registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "gatehouse", metricName: name, unitName: "", helpText: help), labels: [])
        samplers.withLockedValue { $0.append { gauge.set(sample()) } }
    }

    /// The exposition text.
    public func render() -> [UInt8] {
        for sample in samplers.withLockedValue({ $0 }) { sample() }
        return registry.emitToBuffer()
    }

    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
        namespace: "gatehouse", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered, by route, method and status")
    }
    static var durations: MetricNameDescriptor {
        MetricNameDescriptor(
        namespace: "gatehouse", metricName: "http_request_duration", unitName: "seconds",
        helpText: "Time to answer an HTTP request, by route, method and status")
    }
    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
}

import Fluent
import GatehouseDatabase
import GatehouseGuard
import Vapor

/// A capability of the Auth Server: the routes it declares and the migrations of the tables it owns.
/// The composition root lists capabilities; adding one is one line there.
protocol Capability: RouteCollection {
    /// Its schema changes, in order. They run after the shipped first schema and after those of the
    /// capabilities listed before it, so a new one can refer to `users`.
    var migrations: [any Migration] { get }
}

extension Capability {
    var migrations: [any Migration] { [] }
}

extension Actuator: Capability {}
extension MetricsEndpoint: Capability {}
extension OpenAPIEndpoint: Capability {}

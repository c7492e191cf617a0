import GatehouseCore
import Vapor

/// Enforces ``CSRFCheck`` on every state-changing request (anything but GET, HEAD and OPTIONS),
/// answering `403 csrf_invalid` when it fails.
///
/// A resource server uses it as is: only session tokens, bound to the access token's `sid`.
/// The Auth Server adds a way to find the caller's session before login and to spend anonymous
/// tokens once.
public struct CSRFMiddleware: Middleware {
    /// Spends an anonymous token; returns false when it was already used.
    public typealias AnonymousTokenSpender = @Sendable (_ id: TokenID, _ expiresAt: Date, _ request: Request) async throws -> Bool

    private let check: CSRFCheck
    private let requirement: CSRFRequirement
    private let callerSession: @Sendable (Request) async -> GatehouseCore.SessionID?
    private let spendAnonymous: AnonymousTokenSpender?

    /// For resource servers: session tokens only, bound to the authenticated principal's session.
    public init(check: CSRFCheck) {
        self.check = check
        self.requirement = .session
        self.callerSession = { $0.authenticatedPrincipal?.sessionID }
        self.spendAnonymous = nil
    }

    public init(
        check: CSRFCheck, requirement: CSRFRequirement,
        callerSession: @escaping @Sendable (Request) async -> GatehouseCore.SessionID?,
        spendAnonymous: AnonymousTokenSpender?
    ) {
        self.check = check
        self.requirement = requirement
        self.callerSession = callerSession
        self.spendAnonymous = spendAnonymous
    }

    // Future-based so that safe methods pass straight through without spawning a task.
    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        switch request.method {
        case .GET, .HEAD, .OPTIONS: return next.respond(to: request)
        default: break
        }
        let checked = request.eventLoop.makePromise(of: Void.self)
        checked.completeWithTask { try await check(request) }
        return checked.futureResult.flatMap { next.respond(to: request) }
    }

    private func check(_ request: Request) async throws {
        let header = request.headers.first(name: CSRFCheck.headerName)
        let session = await callerSession(request)
        switch await check.check(header: header, requirement: requirement, callerSession: session) {
        case nil:
            throw Problem.csrfInvalid
        case .anonymous(let id, let expiresAt):
            // Without shared state to spend it, an anonymous token cannot be single use: refuse it.
            guard let spendAnonymous, try await spendAnonymous(id, expiresAt, request) else { throw Problem.csrfInvalid }
        case .session:
            break
        }
    }
}

import Fluent
import Foundation
import GatehouseCore

/// The ledger that makes single-use token ids (anonymous CSRF tokens, federation `state`) single
/// use across every instance: the id is the primary key, so the second insert of the same id fails
/// however the requests race.
struct SpentTokenLedger: Sendable {
    /// The verifiers' clock leeway: a token is accepted until `exp` plus this, so its id must be
    /// remembered that long too, or it could be spent again in that tail.
    let leeway: TimeInterval

    /// Records `id` as spent; false when it already was.
    func spend(_ id: TokenID, expiresAt: Date, on db: any Database) async throws -> Bool {
        let record = SpentTokenRecord()
        record.id = id.uuid
        record.expiresAt = expiresAt + leeway
        do {
            try await record.create(on: db)
            return true
        } catch let error as any DatabaseError where error.isConstraintFailure {
            return false
        }
    }

}

/// A spent single-use token id; kept until the token is refused anyway.
final class SpentTokenRecord: Model, @unchecked Sendable {
    // See UserRecord for why `@unchecked Sendable` is safe.
    static let schema = "spent_csrf_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "expires_at") var expiresAt: Date

    init() {}

    /// Forgets ids whose tokens are refused anyway (past `exp` and the leeway).
    static func prune(now: Date, on db: any Database) async throws {
        try await query(on: db).filter(\.$expiresAt < now).delete()
    }

    static func createSchema(on database: any Database) async throws {
        try await database.schema(schema)
            .id()
            .field("expires_at", .datetime, .required)
            .create()
    }
}

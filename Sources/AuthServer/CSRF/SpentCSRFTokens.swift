import Fluent
import Foundation
import GatehouseCore

/// The ledger that makes anonymous CSRF tokens single use across every instance: the token id is the
/// primary key, so the second insert of the same id fails however the requests race.
struct SpentCSRFTokens: Sendable {
    let database: any Database

    /// Records `id` as spent; false when it already was.
    func spend(_ id: TokenID, expiresAt: Date) async throws -> Bool {
        let record = SpentCSRFTokenRecord()
        record.id = id.uuid
        record.expiresAt = expiresAt
        do {
            try await record.create(on: database)
            return true
        } catch let error as any DatabaseError where error.isConstraintFailure {
            return false
        }
    }

    /// Forgets ids whose tokens have expired anyway.
    func prune(now: Date) async throws {
        try await SpentCSRFTokenRecord.query(on: database).filter(\.$expiresAt < now).delete()
    }
}

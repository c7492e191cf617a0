import Fluent
import Foundation

/// A project, owned by the `sub` of the access token that created it.
final class ProjectRecord: Model, @unchecked Sendable {
    // Fluent models are reference types mutated through property wrappers; each instance is confined
    // to the one request task that loaded it, which is why `@unchecked Sendable` is safe here.
    static let schema = "projects"

    @ID(key: .id) var id: UUID?
    @Field(key: "owner_id") var ownerID: UUID
    @Field(key: "name") var name: String
    @Field(key: "description") var description: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// The Resource Server's schema changes, in order.
enum ResourceMigrations {
    static let all: [any Migration] = [CreateProjects(), CreateForgottenAccounts()]
}

struct CreateProjects: AsyncMigration {
    var name: String { "0001-projects" }

    func prepare(on database: any Database) async throws {
        try await database.schema(ProjectRecord.schema)
            .id()
            .field("owner_id", .uuid, .required)
            .field("name", .string, .required)
            .field("description", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ProjectRecord.schema).delete()
    }
}

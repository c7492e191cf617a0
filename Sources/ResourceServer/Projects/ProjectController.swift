import Fluent
import Foundation
import GatehouseCore
import GatehouseGuard
import Vapor

/// `/api/projects`: the caller's own projects. Another person's project is simply not found.
struct ProjectController: Sendable {
    let database: any Database
    let clock: any WallClock
    let forgotten: ForgottenAccounts

    struct ProjectInput: Content {
        var name: String?
        var description: String?
    }

    struct ProjectDTO: Content {
        var id: String
        var name: String
        var description: String
        var createdAt: String
        var updatedAt: String

        init(_ record: ProjectRecord) throws {
            id = try record.requireID().uuidString.lowercased()
            name = record.name
            description = record.description
            createdAt = iso8601(record.createdAt)
            updatedAt = iso8601(record.updatedAt)
        }
    }

    static let maximumNameLength = 100
    static let maximumDescriptionLength = 2000

    func list(_ req: Request) async throws -> Response {
        let owner = try req.principal.userID.uuid
        let projects = try await ProjectRecord.query(on: database).filter(\.$ownerID == owner).sort(\.$createdAt).sort(\.$id).all()
        return try jsonResponse(try projects.map(ProjectDTO.init))
    }

    func create(_ req: Request) async throws -> Response {
        let principal = try req.principal
        let owner = principal.userID.uuid
        let input = try req.content.decode(ProjectInput.self)
        let (name, description) = try Self.validate(name: input.name, description: input.description, requireName: true)
        let now = clock.now()
        // A deleted account's last access token must not leave data behind.
        if try await forgotten.isForgotten(principal.userID, now: now) { throw Problem.unauthenticated }
        let project = ProjectRecord()
        project.ownerID = owner
        project.name = name ?? ""
        project.description = description ?? ""
        project.createdAt = now
        project.updatedAt = now
        try await project.create(on: database)
        return try jsonResponse(try ProjectDTO(project), status: .created)
    }

    func update(_ req: Request) async throws -> Response {
        let project = try await owned(req)
        let input = try req.content.decode(ProjectInput.self)
        let (name, description) = try Self.validate(name: input.name, description: input.description, requireName: false)
        if let name { project.name = name }
        if let description { project.description = description }
        project.updatedAt = clock.now()
        try await project.save(on: database)
        return try jsonResponse(try ProjectDTO(project))
    }

    func delete(_ req: Request) async throws -> Response {
        try await owned(req).delete(on: database)
        return Response(status: .noContent)
    }

    private func owned(_ req: Request) async throws -> ProjectRecord {
        let owner = try req.principal.userID.uuid
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let project = try await ProjectRecord.query(on: database).filter(\.$id == id).filter(\.$ownerID == owner).first()
        else { throw Problem(.notFound, code: "not_found", title: "Not found", detail: "No such project.") }
        return project
    }

    private static func validate(name: String?, description: String?, requireName: Bool) throws -> (String?, String?) {
        var errors: [FieldProblem] = []
        let trimmedName = name?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let trimmedName {
            if trimmedName.isEmpty {
                errors.append(.init(field: "name", code: "required", message: "Enter a name."))
            } else if trimmedName.count > maximumNameLength {
                errors.append(.init(field: "name", code: "too_long", message: "Use at most \(maximumNameLength) characters."))
            }
        } else if requireName {
            errors.append(.init(field: "name", code: "required", message: "Enter a name."))
        }
        let trimmedDescription = description?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let trimmedDescription, trimmedDescription.count > maximumDescriptionLength {
            errors.append(.init(field: "description", code: "too_long", message: "Use at most \(maximumDescriptionLength) characters."))
        }
        guard errors.isEmpty else { throw Problem.validationFailed(errors) }
        return (trimmedName, trimmedDescription)
    }
}

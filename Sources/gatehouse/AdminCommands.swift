import ArgumentParser
import AuthServer
import Fluent
import Foundation
import GatehouseCore
import Vapor

/// The Auth Server's database opened for administration, without serving anything: the same
/// migrations and the same ``AccountAdministration`` the admin API uses, so the console works
/// whether or not a server is running against that database.
enum Console {
    static func withAdministration<T>(
        _ options: CommonOptions, _ body: (AccountAdministration, any Database) async throws -> T
    ) async throws -> T {
        options.bootstrapLogging(default: .warning)
        let config = try options.configuration(AuthServerConfiguration.init(environment:))
        let app = try await makeAuthServer(AuthServerSettings(
            configuration: config, environment: Runner.environment(), runBackgroundJobs: false))
        do {
            let result = try await body(app.accountAdministration, app.db)
            try await app.asyncShutdown()
            return result
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    /// The account at `email`, or exit 1 with a message naming it.
    static func account(_ email: String, _ administration: AccountAdministration, on db: any Database) async throws -> (AdminAccount, UserID) {
        guard let account = try await administration.account(email: email, on: db), let uuid = UUID(uuidString: account.id) else {
            printError("No account has the address \(email).")
            throw ExitCode.failure
        }
        return (account, UserID(uuid: uuid))
    }

    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Rows as aligned columns under a header.
    static func printTable(_ header: [String], _ rows: [[String]]) {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            print(row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces))
        }
    }

    static func describe(_ account: AdminAccount) -> [String] {
        [
            account.id, account.email, account.emailVerified ? "yes" : "no", account.disabled ? "yes" : "no",
            account.roles.joined(separator: ","), account.createdAt, account.lastLoginAt ?? "-",
        ]
    }

    static let accountHeader = ["ID", "EMAIL", "VERIFIED", "DISABLED", "ROLES", "CREATED", "LAST LOGIN"]
}

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find, inspect and manage accounts (works with the server running or stopped).",
        subcommands: [List.self, Show.self, Disable.self, Enable.self, Roles.self, Logout.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts, by email.")
        @ArgumentParser.OptionGroup var options: CommonOptions
        @ArgumentParser.Option(help: "Only accounts whose email or name contains this text (any case).") var query: String?
        @ArgumentParser.Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let accounts = try await Console.withAdministration(options) { administration, db in
                var accounts: [AdminAccount] = []
                var cursor: String?
                repeat {
                    let page = try await administration.list(query: query, cursor: cursor, limit: 500, on: db)
                    accounts += page.users
                    cursor = page.nextCursor
                } while cursor != nil
                return accounts
            }
            if json { return try Console.printJSON(accounts) }
            Console.printTable(Console.accountHeader, accounts.map(Console.describe))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One account: its sessions, linked providers, second factors and recent security events.")
        @ArgumentParser.OptionGroup var options: CommonOptions
        @ArgumentParser.Argument(help: "The account's email address.") var email: String
        @ArgumentParser.Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let detail = try await Console.withAdministration(options) { administration, db in
                try await administration.detail(try await Console.account(email, administration, on: db).1, on: db)
            }
            if json { return try Console.printJSON(detail) }
            let user = detail.user
            print("""
                \(user.email) (\(user.firstName) \(user.lastName))
                  id          \(user.id)
                  verified    \(user.emailVerified ? "yes" : "no")
                  disabled    \(user.disabled ? "yes" : "no")
                  roles       \(user.roles.joined(separator: ", "))
                  created     \(user.createdAt)
                  last login  \(user.lastLoginAt ?? "-")
                  two-step    \(detail.secondFactors.totp ? "on (\(detail.secondFactors.recoveryCodesLeft) recovery codes left)" : "off"), \
                \(detail.secondFactors.passkeys.count) passkey(s)
                """)
            print("\nSessions (\(detail.sessions.count))")
            Console.printTable(
                ["ID", "STARTED", "LAST USED", "ADDRESS", "USER AGENT"],
                detail.sessions.map { [$0.id, $0.createdAt, $0.lastUsedAt, $0.ipAddress, String($0.userAgent.prefix(60))] })
            print("\nProviders (\(detail.identities.count))")
            Console.printTable(["PROVIDER", "EMAIL", "LINKED"], detail.identities.map { [$0.provider, $0.email ?? "-", $0.linkedAt] })
            print("\nRecent security events")
            Console.printTable(["AT", "KIND", "ADDRESS", "BY"], detail.events.map { [$0.at, $0.kind, $0.ipAddress, $0.actorId ?? ""] })
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account: every session ends, no sign-in or refresh works.")
        @ArgumentParser.OptionGroup var options: CommonOptions
        @ArgumentParser.Argument(help: "The account's email address.") var email: String

        func run() async throws {
            try await Console.withAdministration(options) { administration, db in
                let id = try await Console.account(email, administration, on: db).1
                _ = try await administration.setDisabled(true, of: id, by: .console, on: db)
            }
            print("Disabled \(email); its sessions have ended.")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account again.")
        @ArgumentParser.OptionGroup var options: CommonOptions
        @ArgumentParser.Argument(help: "The account's email address.") var email: String

        func run() async throws {
            try await Console.withAdministration(options) { administration, db in
                let id = try await Console.account(email, administration, on: db).1
                _ = try await administration.setDisabled(false, of: id, by: .console, on: db)
            }
            print("Enabled \(email).")
        }
    }

    struct Roles: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add or remove roles (the first administrator: `gatehouse users roles EMAIL --add admin`).",
            discussion: "Roles take effect in the account's access tokens at their next refresh; the admin API checks the account at once.")
        @ArgumentParser.OptionGroup var options: CommonOptions
        @ArgumentParser.Argument(help: "The account's email address.") var email: String
        @ArgumentParser.Option(help: "A role to add (repeatable).") var add: [String] = []
        @ArgumentParser.Option(help: "A role to remove (repeatable; 'user' always stays).") var remove: [String] = []

        func validate() throws {
            for name in add + remove where Role(name) == nil {
                throw ValidationError("'\(name)' is not a role: lower-case letters, digits, '_' and '-', starting with a letter.")
            }
        }

        func run() async throws {
            let account = try await Console.withAdministration(options) { administration, db in
                let (account, id) = try await Console.account(email, administration, on: db)
                var roles = RoleSet(account.roles.compactMap(Role.init))
                for name in add { roles = roles.adding(Role(name)!) }
                for name in remove { roles = roles.removing(Role(name)!) }
                return try await administration.setRoles(roles, of: id, by: .console, on: db)
            }
            print("\(account.email): \(account.roles.joined(separator: ", "))")
        }
    }

    struct Logout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End every session of an account.")
        @ArgumentParser.OptionGroup var options: CommonOptions
        @ArgumentParser.Argument(help: "The account's email address.") var email: String

        func run() async throws {
            let ended = try await Console.withAdministration(options) { administration, db in
                try await administration.logout(try await Console.account(email, administration, on: db).1, by: .console, on: db)
            }
            print("Ended \(ended) session(s) of \(email).")
        }
    }
}

struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Security events, newest first (works with the server running or stopped).")
    @ArgumentParser.OptionGroup var options: CommonOptions
    @ArgumentParser.Option(help: "Only this account's events (email address).") var user: String?
    @ArgumentParser.Option(help: "Only events of this kind, e.g. login_failed.") var kind: String?
    @ArgumentParser.Option(help: "Only events at or after this ISO-8601 time, e.g. 2026-01-31T00:00:00Z.") var since: String?
    @ArgumentParser.Option(help: "At most this many events.") var limit = 100
    @ArgumentParser.Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let since, ISO8601DateFormatter().date(from: since) == nil {
            throw ValidationError("--since takes an ISO-8601 time, e.g. 2026-01-31T00:00:00Z.")
        }
        guard limit > 0 else { throw ValidationError("--limit must be positive.") }
    }

    func run() async throws {
        let events = try await Console.withAdministration(options) { administration, db in
            var id: UserID?
            if let user { id = try await Console.account(user, administration, on: db).1 }
            return try await administration.events(
                user: id, kind: kind, since: since.flatMap { ISO8601DateFormatter().date(from: $0) }, cursor: nil, limit: limit, on: db
            ).events
        }
        if json { return try Console.printJSON(events) }
        let rows = events.map { (event: AdminEvent) -> [String] in
            let account: String = event.email ?? event.userId ?? "-"
            return [event.at, event.kind, account, event.ipAddress, event.actorId ?? ""]
        }
        Console.printTable(["AT", "KIND", "ACCOUNT", "ADDRESS", "BY"], rows)
    }
}

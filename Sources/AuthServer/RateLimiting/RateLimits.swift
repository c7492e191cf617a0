import Foundation

/// Every limit the Auth Server counts, in one place. Windows of the login limits are equal because
/// one statement counts them together.
struct RateLimits: Sendable {
    typealias Rule = RateLimiter.Rule

    /// Attempts on one account from one address: stops guessing from one place without letting a
    /// stranger elsewhere lock the owner out.
    var loginPerAccountAndAddress = Rule(limit: 10, window: 900)
    /// All login attempts from one address (one place spraying many accounts).
    var loginPerAddress = Rule(limit: 300, window: 900)
    /// Attempts on one account from browsers that never signed in to it, wherever they are.
    var loginPerAccount = Rule(limit: 20, window: 900)
    /// Attempts on one account from one of its known devices, which the per-account limit spares.
    var loginPerKnownDevice = Rule(limit: 10, window: 900)
    /// Registrations from one address: each costs a hash and may mail a stranger.
    var registerPerAddress = Rule(limit: 30, window: 900)
    /// Requests for a mailed link (forgot password, resend confirmation) from one address.
    var mailRequestPerAddress = Rule(limit: 30, window: 900)
    /// Password resets from one address: each costs a hash.
    var resetPerAddress = Rule(limit: 30, window: 900)
    /// Mails to one recipient (confirmation, reset, notices): beyond it requests still answer 202
    /// but send nothing, and make no link.
    var mailPerRecipient = Rule(limit: 10, window: 3600)
    /// Email-change requests of one account: each mails two addresses.
    var emailChangePerAccount = Rule(limit: 5, window: 3600)

    /// Every limit multiplied by `factor` (windows unchanged), at least 1.
    func scaled(by factor: Double) -> RateLimits {
        guard factor != 1 else { return self }
        func scale(_ rule: Rule) -> Rule { Rule(limit: max(1, Int((Double(rule.limit) * factor).rounded())), window: rule.window) }
        return RateLimits(
            loginPerAccountAndAddress: scale(loginPerAccountAndAddress), loginPerAddress: scale(loginPerAddress),
            loginPerAccount: scale(loginPerAccount), loginPerKnownDevice: scale(loginPerKnownDevice),
            registerPerAddress: scale(registerPerAddress), mailRequestPerAddress: scale(mailRequestPerAddress),
            resetPerAddress: scale(resetPerAddress), mailPerRecipient: scale(mailPerRecipient),
            emailChangePerAccount: scale(emailChangePerAccount))
    }
}

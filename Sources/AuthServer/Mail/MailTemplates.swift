import Foundation
import GatehouseMail

/// The mails Gatehouse sends, text and HTML. Links are built from configuration only, never from
/// a request's Host header (OWASP forgot-password cheat sheet).
struct MailTemplates: Sendable {
    let authURL: String
    let spaURL: String

    func confirmAccount(to email: String, firstName: String, token: String) -> MailMessage {
        let link = "\(authURL)/auth/confirm-account?token=\(token)"
        return message(
            to: email, subject: "Confirm your email address", greeting: firstName,
            lines: ["Someone (hopefully you) created a Gatehouse account with this address.",
                    "Confirm it within 24 hours by opening this link:"],
            link: link, linkLabel: "Confirm my email address",
            footer: "If you did not create an account, ignore this mail and nothing will happen.")
    }

    func resetPassword(to email: String, firstName: String, token: String) -> MailMessage {
        let link = "\(spaURL)/reset-password?token=\(token)"
        return message(
            to: email, subject: "Reset your password", greeting: firstName,
            lines: ["Someone asked to reset the password of the Gatehouse account with this address.",
                    "Choose a new password within 30 minutes by opening this link:"],
            link: link, linkLabel: "Choose a new password",
            footer: "If you did not ask for this, ignore this mail: your password stays as it is.")
    }

    func passwordChanged(to email: String, firstName: String) -> MailMessage {
        message(
            to: email, subject: "Your password was changed", greeting: firstName,
            lines: ["The password of your Gatehouse account was just changed, and your other sessions were ended.",
                    "If this was not you, reset your password now:"],
            link: "\(spaURL)/forgot-password", linkLabel: "Reset my password", footer: nil)
    }

    func alreadyRegistered(to email: String, firstName: String) -> MailMessage {
        message(
            to: email, subject: "You already have an account", greeting: firstName,
            lines: ["Someone tried to create a Gatehouse account with this address, which already has one.",
                    "If it was you, log in, or reset your password if you have forgotten it:"],
            link: "\(spaURL)/forgot-password", linkLabel: "Reset my password",
            footer: "If it was not you, you can ignore this mail: nothing has changed.")
    }

    func providerLinked(to email: String, firstName: String, provider: String) -> MailMessage {
        message(
            to: email, subject: "\(provider) can now sign in to your account", greeting: firstName,
            lines: ["\(provider) was just linked to your Gatehouse account: signing in with it now opens your account.",
                    "If this was not you, remove it from your account page and reset your password:"],
            link: "\(spaURL)/account", linkLabel: "Open my account", footer: nil)
    }

    func providerUnlinked(to email: String, firstName: String, provider: String) -> MailMessage {
        message(
            to: email, subject: "\(provider) was removed from your account", greeting: firstName,
            lines: ["\(provider) can no longer sign in to your Gatehouse account.",
                    "If this was not you, review your account and reset your password:"],
            link: "\(spaURL)/account", linkLabel: "Open my account", footer: nil)
    }

    func confirmEmailChange(to email: String, firstName: String, token: String) -> MailMessage {
        message(
            to: email, subject: "Confirm your new email address", greeting: firstName,
            lines: ["Someone (hopefully you) asked to move a Gatehouse account to this address.",
                    "Confirm it within an hour by opening this link; until then the account keeps its old address:"],
            link: "\(authURL)/auth/confirm-email-change?token=\(token)", linkLabel: "Use this address",
            footer: "If you did not ask for this, ignore this mail and nothing will happen.")
    }

    func emailChangeRequested(to email: String, firstName: String, newEmail: String) -> MailMessage {
        message(
            to: email, subject: "Your email address is about to change", greeting: firstName,
            lines: ["Someone signed in to your Gatehouse account asked to change its address to \(newEmail).",
                    "The change happens only when the link sent there is opened. If this was not you, review your account and change your password now:"],
            link: "\(spaURL)/account", linkLabel: "Open my account", footer: nil)
    }

    func emailInUse(to email: String) -> MailMessage {
        message(
            to: email, subject: "This address already has an account", greeting: "",
            lines: ["Someone asked to move a Gatehouse account to this address, which already has an account of its own, so nothing was changed.",
                    "If it was you, sign in to that account instead:"],
            link: "\(spaURL)/login", linkLabel: "Log in",
            footer: "If it was not you, you can ignore this mail.")
    }

    func accountDeleted(to email: String, firstName: String) -> MailMessage {
        message(
            to: email, subject: "Your account was deleted", greeting: firstName,
            lines: ["Your Gatehouse account and everything it held were deleted, as you asked.",
                    "You are welcome back at any time:"],
            link: "\(spaURL)/register", linkLabel: "Create a new account", footer: nil)
    }

    private func message(to: String, subject: String, greeting: String, lines: [String], link: String, linkLabel: String, footer: String?) -> MailMessage {
        let name = greeting.isEmpty ? "Hello," : "Hello \(greeting),"
        let text = ([name, ""] + lines + ["", link, ""] + (footer.map { [$0, ""] } ?? []) + ["— Gatehouse"]).joined(separator: "\n")
        let paragraphs = lines.map { "<p>\(escape($0))</p>" }.joined()
        let html = """
            <!doctype html><html><body style="font-family:sans-serif;line-height:1.5">\
            <p>\(escape(name))</p>\(paragraphs)\
            <p><a href="\(escape(link))">\(escape(linkLabel))</a></p>\
            <p style="font-size:small;color:#555">\(escape(link))</p>\
            \(footer.map { "<p>\(escape($0))</p>" } ?? "")<p>— Gatehouse</p></body></html>
            """
        return MailMessage(to: to, subject: subject, textBody: text, htmlBody: html)
    }

    private func escape(_ string: String) -> String {
        string.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

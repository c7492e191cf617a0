import GatehouseCore
import GatehouseMail
import Vapor

/// The configured transport: SMTP when `GATEHOUSE_SMTP_URL` is set, else `.eml` files in the outbox folder.
func makeMailer(_ config: AuthServerConfiguration, logLinks: Bool, app: Application) throws -> any Mailer {
    if let url = config.smtpURL {
        return try SMTPMailer(url: url, from: config.mailFrom, eventLoopGroup: app.eventLoopGroup, logger: app.logger)
    }
    return try OutboxMailer(directory: config.outboxDirectory, from: config.mailFrom, logger: app.logger, logsLinks: logLinks)
}

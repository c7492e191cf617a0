import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// One SMTP connection: connect, converse command by command, close.
///
/// Each command is a promise completed by `SMTPClientHandler` and raced against a timer on
/// the channel's event loop, so a silent server costs at most `timeout` per step. Callers
/// must `close()` on every path; `SMTPMailer` does.
struct SMTPClient: Sendable {
    let channel: any Channel
    let timeout: TimeAmount

    /// Connects and waits for the greeting, which must be 220.
    static func connect(
        to endpoint: SMTPEndpoint,
        group: any EventLoopGroup,
        sslContext: NIOSSLContext,
        timeout: TimeAmount
    ) async throws -> SMTPClient {
        let implicitTLS = endpoint.security == .implicitTLS
        let serverName = endpoint.hostIsIPLiteral ? nil : endpoint.host
        let (channel, greeting): (any Channel, EventLoopPromise<SMTPReply>)
        do {
            (channel, greeting) = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelOption(.socketOption(.so_keepalive), value: 1)
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let greeting = channel.eventLoop.makePromise(of: SMTPReply.self)
                        if implicitTLS {
                            let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: serverName)
                            try channel.pipeline.syncOperations.addHandler(tls)
                        }
                        try channel.pipeline.syncOperations.addHandler(SMTPClientHandler(greeting: greeting))
                        return (channel, greeting)
                    }
                }
        } catch {
            throw SMTPError.connectionFailed(host: endpoint.host, port: endpoint.port, reason: "\(error)")
        }
        let client = SMTPClient(channel: channel, timeout: timeout)
        do {
            let reply = try await client.waitForReply(greeting, step: .greeting)
            try reply.expect(220, at: .greeting)
        } catch {
            client.close()
            throw error
        }
        return client
    }

    /// Whether the socket's peer is a loopback address.
    var peerIsLoopback: Bool { SMTPEndpoint.isLoopback(ipAddress: channel.remoteAddress?.ipAddress) }

    /// Sends one command line (CRLF appended) and waits for its reply.
    /// `timeout` overrides the client's limit for this one reply.
    @discardableResult
    func command(_ line: String, step: SMTPStep, isStartTLS: Bool = false, timeout: TimeAmount? = nil) async throws -> SMTPReply {
        try await send(ByteBuffer(string: line + "\r\n"), step: step, isStartTLS: isStartTLS, timeout: timeout)
    }

    /// Sends raw bytes (a command or the dot-stuffed message) and waits for the reply.
    func send(_ payload: ByteBuffer, step: SMTPStep, isStartTLS: Bool = false, timeout: TimeAmount? = nil) async throws -> SMTPReply {
        let reply = channel.eventLoop.makePromise(of: SMTPReply.self)
        let request = SMTPRequest(step: step, payload: payload, reply: reply, isStartTLS: isStartTLS)
        channel.writeAndFlush(request).whenFailure { error in
            // The handler fails the reply itself when it saw the write; this covers a
            // channel already torn down, where the write never reaches it.
            reply.fail((error as? SMTPError) ?? .transport(step: step, reason: "\(error)"))
        }
        return try await self.waitForReply(reply, step: step, timeout: timeout)
    }

    /// Inserts TLS at the head of the pipeline after a successful `STARTTLS` reply and waits for the
    /// handshake to finish, so that a refused certificate is reported as `tlsFailed` rather than as
    /// whatever the next command meets on the connection the failed handshake closed.
    func startTLS(sslContext: NIOSSLContext, serverName: String?) async throws {
        let channel = self.channel
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        do {
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.handler(type: SMTPClientHandler.self).awaitHandshake(handshake)
                let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: serverName)
                try channel.pipeline.syncOperations.addHandler(tls, position: .first)
            }.get()
        } catch {
            handshake.fail(error)
            throw SMTPError.tlsFailed(reason: "\(error)")
        }
        let timer = channel.eventLoop.scheduleTask(in: timeout) { handshake.fail(SMTPError.timedOut(.startTLS)) }
        defer { timer.cancel() }
        do {
            try await handshake.futureResult.get()
        } catch let error as SMTPError {
            throw error
        } catch {
            throw SMTPError.tlsFailed(reason: "\(error)")
        }
    }

    /// Closes the connection without waiting; safe to call more than once.
    func close() {
        channel.close(promise: nil)
    }

    private func waitForReply(_ reply: EventLoopPromise<SMTPReply>, step: SMTPStep, timeout: TimeAmount? = nil) async throws -> SMTPReply {
        let timer = channel.eventLoop.scheduleTask(in: timeout ?? self.timeout) {
            reply.fail(SMTPError.timedOut(step))
        }
        defer { timer.cancel() }
        return try await reply.futureResult.get()
    }
}

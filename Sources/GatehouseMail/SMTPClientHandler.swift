import NIOCore
import NIOSSL
import NIOTLS

/// A command for `SMTPClientHandler` and the promise its reply completes.
struct SMTPRequest: Sendable {
    var step: SMTPStep
    /// Bytes to send, CRLF included.
    var payload: ByteBuffer
    var reply: EventLoopPromise<SMTPReply>
    /// The reply to STARTTLS must be the last plaintext the server sends: anything buffered
    /// behind it would be read as if it came over TLS (the CVE-2011-0411 injection class).
    var isStartTLS = false
}

/// Frames the byte stream into SMTP replies and completes request promises in order.
///
/// Lives at the tail of the pipeline; a `NIOSSLClientHandler` may sit in front of it from the
/// start (`smtps://`) or be inserted at the head after STARTTLS. Every promise it holds is
/// completed by a reply, an error, or the channel going away, so none can leak.
final class SMTPClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = SMTPRequest
    typealias OutboundOut = ByteBuffer

    private var pending = CircularBuffer<SMTPRequest>()
    private var buffer = ByteBuffer()
    private var parser = SMTPReplyParser()
    /// Once set, the connection is finished and new requests fail with it at once.
    private var failure: SMTPError?
    /// Completed when a TLS handshake started after STARTTLS finishes, or fails with the connection.
    private var handshake: EventLoopPromise<Void>?

    /// - Parameter greeting: completed by the server's first reply.
    init(greeting: EventLoopPromise<SMTPReply>) {
        pending.append(SMTPRequest(step: .greeting, payload: ByteBuffer(), reply: greeting))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.reply.fail(failure)
            promise?.fail(failure)
            return
        }
        pending.append(request)
        context.write(wrapOutboundOut(request.payload), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        do {
            while let line = try nextLine() {
                guard let reply = try parser.feed(line) else { continue }
                guard !pending.isEmpty else { throw SMTPError.protocolViolation("unsolicited reply") }
                let request = pending.removeFirst()
                if request.isStartTLS && (buffer.readableBytes > 0 || parser.isMidReply) {
                    request.reply.fail(SMTPError.protocolViolation("data after STARTTLS reply"))
                    throw SMTPError.protocolViolation("data after STARTTLS reply")
                }
                request.reply.succeed(reply)
            }
            buffer.discardReadBytes()
        } catch {
            fail(context: context, with: error as? SMTPError ?? .protocolViolation("\(error)"))
        }
    }

    /// Asks to be told when the TLS handshake about to start has completed.
    func awaitHandshake(_ promise: EventLoopPromise<Void>) {
        if let failure { return promise.fail(failure) }
        handshake = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            handshake?.succeed()
            handshake = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let step = pending.first?.step ?? .connect
        let mapped: SMTPError
        switch error {
        case let error as SMTPError: mapped = error
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError: mapped = .tlsFailed(reason: "\(error)")
        default: mapped = .transport(step: step, reason: "\(error)")
        }
        fail(context: context, with: mapped)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(with: .connectionClosed(pending.first?.step ?? .quit))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(with: .connectionClosed(pending.first?.step ?? .quit))
    }

    // MARK: - Internals

    private func fail(context: ChannelHandlerContext, with error: SMTPError) {
        failAll(with: error)
        context.close(promise: nil)
    }

    private func failAll(with error: SMTPError) {
        if failure == nil { failure = error }
        handshake?.fail(failure ?? error)
        handshake = nil
        while let request = pending.popFirst() {
            request.reply.fail(error)
        }
    }

    /// The next CRLF- (or bare LF-) terminated line, without its terminator, if complete.
    private func nextLine() throws -> String? {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count > SMTPReplyParser.maxLineLength { throw SMTPError.protocolViolation("reply line too long") }
            return nil
        }
        let length = newline - view.startIndex
        guard length <= SMTPReplyParser.maxLineLength else { throw SMTPError.protocolViolation("reply line too long") }
        var line = buffer.readString(length: length) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        return line
    }
}

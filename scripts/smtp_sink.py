#!/usr/bin/env python3
"""SMTP sink for tests: accepts mail on 127.0.0.1 and writes each message to a directory.

Usage:
  python3 scripts/smtp_sink.py --port P --maildir DIR
      [--tls-cert C --tls-key K [--implicit-tls]]
      [--auth user:pass [--auth-mechanisms PLAIN,LOGIN]]

Each accepted message becomes DIR/<stamp>-<id>.eml holding the raw RFC 5322 bytes exactly as
received (after SMTP dot-unstuffing), next to DIR/<stamp>-<id>.json with the envelope:
  {"mail_from": str, "rcpt_tos": [str], "tls": bool, "auth_user": str|null, "peer": "ip:port"}
The .json is written first and the .eml is renamed into place last, so a watcher that sees
the .eml can read both.

Modes:
  no cert           plaintext only; AUTH (if --auth) is allowed in plaintext (loopback).
  cert              STARTTLS offered; AUTH only after STARTTLS.
  cert + --implicit-tls   TLS from the first byte (smtps); AUTH allowed at once.
With --auth every MAIL is refused until the client has authenticated.

Prints "READY" on stdout once listening (with --port 0 it first prints "PORT <n>" with the
port the OS chose). Stops cleanly on SIGTERM or SIGINT. Requires: pip install aiosmtpd
"""

import argparse
import asyncio
import hmac
import json
import os
import signal
import ssl
import sys
import time
import uuid
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class MaildirHandler:
    """Writes each message and its envelope to the mail directory."""

    def __init__(self, maildir, implicit_tls):
        self.maildir = maildir
        self.implicit_tls = implicit_tls

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:12]}"
        login = session.auth_data
        if isinstance(login, LoginPassword):
            login = login.login
        if isinstance(login, bytes):
            login = login.decode("utf-8", "replace")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": bool(self.implicit_tls or session.ssl),
            "auth_user": login if session.authenticated else None,
            "peer": ":".join(str(part) for part in session.peer[:2]) if session.peer else None,
        }
        self._write(name + ".json", json.dumps(meta, indent=2).encode())
        self._write(name + ".eml", envelope.original_content)
        return "250 OK message accepted"

    def _write(self, filename, data):
        final = os.path.join(self.maildir, filename)
        temporary = os.path.join(self.maildir, "." + filename + ".tmp")
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, final)


def make_authenticator(expected_user, expected_password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user_ok = hmac.compare_digest(auth_data.login, expected_user.encode())
        password_ok = hmac.compare_digest(auth_data.password, expected_password.encode())
        if user_ok and password_ok:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    return authenticate


def parse_args(argv):
    parser = argparse.ArgumentParser(description="SMTP sink for tests (127.0.0.1 only)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--auth", help="user:pass required before MAIL")
    parser.add_argument("--auth-mechanisms", default="PLAIN,LOGIN",
                        help="comma-separated subset of PLAIN,LOGIN to offer")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.implicit_tls and not args.tls_cert:
        parser.error("--implicit-tls needs --tls-cert and --tls-key")
    if args.auth and ":" not in args.auth:
        parser.error("--auth must be user:pass")
    return args


async def serve(args):
    os.makedirs(args.maildir, exist_ok=True)
    tls_context = None
    if args.tls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)

    smtp_kwargs = {"hostname": "localhost", "data_size_limit": 10 * 1024 * 1024}
    if tls_context is not None and not args.implicit_tls:
        smtp_kwargs["tls_context"] = tls_context
    if args.auth:
        user, password = args.auth.split(":", 1)
        offered = {m.strip().upper() for m in args.auth_mechanisms.split(",") if m.strip()}
        smtp_kwargs.update(
            authenticator=make_authenticator(user, password),
            auth_required=True,
            # Over STARTTLS, AUTH must wait for TLS; implicit TLS and plaintext-on-loopback
            # modes allow it at once (aiosmtpd only counts STARTTLS as "TLS").
            auth_require_tls=tls_context is not None and not args.implicit_tls,
            auth_exclude_mechanism={"PLAIN", "LOGIN"} - offered,
        )

    loop = asyncio.get_running_loop()
    handler = MaildirHandler(args.maildir, args.implicit_tls)
    server = await loop.create_server(
        lambda: SMTP(handler, loop=loop, **smtp_kwargs),
        host="127.0.0.1",
        port=args.port,
        ssl=tls_context if args.implicit_tls else None,
    )
    if args.port == 0:
        print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    print("READY", flush=True)

    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main(argv):
    args = parse_args(argv)
    # Launchers such as Foundation's Process (from a Swift test) can hand down a signal mask
    # with SIGTERM blocked, which would make the sink unkillable except by SIGKILL.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    # aiosmtpd warns when AUTH is allowed without TLS; that is intended for loopback tests.
    warnings.simplefilter("ignore")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

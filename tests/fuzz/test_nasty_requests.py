"""Hand-made hostile requests against both servers, over raw sockets: huge and endless bodies,
huge headers and cookies, invalid UTF-8, deep nesting, wrong media types, malformed HTTP.

Each must get a 4xx `application/problem+json` answer (a request too malformed to be HTTP, or with
oversized headers, may instead have its connection closed), never a 5xx, never internal wording;
the server must stay up, answer `/actuator/health` afterwards, and log no unhandled error.
"""

from __future__ import annotations

import json
import re
import socket
import time
from dataclasses import dataclass

import pytest
import requests

MiB = 1024 * 1024
# Words that only internal errors carry: stack frames, Swift/NIO/SQL type names, Python tracebacks.
INTERNAL = re.compile(
    r"(?i)(\.swift\b|fatal error|stack trace|backtrace|traceback|DecodingError|HTTPParserError|NIOHTTP1|"
    r"NIOCore|SQLiteError|PSQLError|Abort\.|Swift\.|Foundation\.|codingPath|debugDescription|"
    r"internal_error|Thread \d)")


@dataclass
class Answer:
    status: int | None          # None: the connection closed (or timed out) without an answer
    headers: dict[str, str]
    body: bytes
    note: str = ""

    def describe(self) -> str:
        if self.status is None:
            return f"no answer ({self.note})"
        return f"{self.status} {self.headers.get('content-type')} {self.body[:300]!r}"


def exchange(port: int, data: bytes, *, timeout: float = 10.0, chunks: list[bytes] | None = None) -> Answer:
    """Sends `data` (then each of `chunks`) on a fresh connection and reads one answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        note = ""
        try:
            s.sendall(data)
            for chunk in chunks or []:
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError) as e:
            note = f"send: {type(e).__name__}"  # the server stopped reading: fine if it answered first
        raw = b""
        try:
            while True:
                piece = s.recv(65536)
                if not piece:
                    break
                raw += piece
                head, sep, rest = raw.partition(b"\r\n\r\n")
                if sep:
                    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                    if length and len(rest) >= int(length.group(1)):
                        break
        except socket.timeout:
            note += " read: timeout"
        except ConnectionResetError:
            note += " read: reset"
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return Answer(None, {}, raw, note.strip() or "closed")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(status, headers, body, note.strip())


def request(method: str, path: str, headers: list[tuple[bytes, bytes]] = (), body: bytes | None = b"",
            content_length: bool = True) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
    head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    if body is not None and content_length:
        head += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
    return head + b"\r\n" + (body or b"")


JSON = (b"Content-Type", b"application/json")


def assert_problem(answer: Answer, *, statuses=range(400, 500), may_close: bool = False) -> None:
    if answer.status is None:
        assert may_close, f"expected a 4xx problem, got {answer.describe()}"
        return
    assert answer.status in statuses, f"expected one of {list(statuses)[:5]}..., got {answer.describe()}"
    assert answer.headers.get("content-type", "").startswith("application/problem+json"), answer.describe()
    problem = json.loads(answer.body)
    assert problem["status"] == answer.status and problem["code"], problem
    assert not INTERNAL.search(answer.body.decode("utf-8", "replace")), f"internal wording: {answer.body!r}"


@pytest.fixture(scope="module")
def resource_session(account):
    return account.login()


@pytest.fixture(params=["auth", "resource"])
def target(request, stack, resource_session):
    """(process, a POST route reading a JSON body, headers that get a request past auth and CSRF)."""
    if request.param == "auth":
        csrf = lambda: requests.get(stack.auth.url("/auth/csrf"), timeout=10).json()["csrfToken"].encode()
        return stack.auth, "/auth/login", lambda: [JSON, (b"X-CSRF-TOKEN", csrf())]
    cookie = b"access_token=" + resource_session.access_token.encode()
    return stack.resource, "/api/projects", lambda: [JSON, (b"Cookie", cookie),
                                                     (b"X-CSRF-TOKEN", resource_session.csrf_token.encode())]


def server_errors_counted(process) -> dict[str, float]:
    """The 5xx answers (but 503) the server's own metrics count, by route and status; {} while
    `/actuator/prometheus` is not served."""
    r = requests.get(process.url("/actuator/prometheus"), timeout=5)
    if r.status_code != 200:
        return {}
    counted = {}
    for line in r.text.splitlines():
        match = re.match(r'gatehouse_http_requests_total\{(.*status="5(?!03)\d\d".*)\} (\S+)$', line)
        if match:
            counted[match.group(1)] = float(match.group(2))
    return counted


@pytest.fixture
def server_stays_well(target):
    """After the test: the process is alive and healthy, and neither its log nor its metrics show an
    internal error (a client's request answered or counted as a 500)."""
    process = target[0]
    logged_before = len(process.log_text())
    counted_before = server_errors_counted(process)
    yield
    assert process.proc is not None and process.proc.poll() is None, f"{process.name} died:\n{process.log_tail(60)}"
    r = requests.get(process.url("/actuator/health"), timeout=5)
    assert r.status_code == 200, r.text
    time.sleep(0.2)  # the log line of an abandoned request may come a moment after the test's last read
    new_log = process.log_text()[logged_before:]
    unhandled = [line for line in new_log.splitlines() if "unhandled error" in line or "internal_error" in line]
    assert not unhandled, ("the server treated a client's request as an internal error (a 500, logged at error "
                           "level):\n" + "\n".join(unhandled[:10]))
    counted = {k: v - counted_before.get(k, 0) for k, v in server_errors_counted(process).items()}
    assert not {k: v for k, v in counted.items() if v}, f"the server counted 5xx answers: {counted}"


pytestmark = pytest.mark.usefixtures("server_stays_well")


def test_a_10_mib_body_is_refused_as_too_large(target):
    process, path, headers = target
    answer = exchange(process.port, request("POST", path, headers(), b"{" + b" " * (10 * MiB) + b"}"))
    assert_problem(answer, statuses=[413])


def test_a_10_mib_body_to_a_route_without_a_body_is_refused(target):
    process, _, _ = target
    answer = exchange(process.port, request("GET", "/actuator/info", [JSON], b"x" * (10 * MiB)))
    assert_problem(answer, statuses=[413])


def test_a_10_mib_chunked_body_is_refused_as_too_large(target):
    process, path, headers = target
    head = request("POST", path, headers() + [(b"Transfer-Encoding", b"chunked")], body=None)
    chunk = b"%x\r\n" % MiB + b"a" * MiB + b"\r\n"
    answer = exchange(process.port, head, chunks=[chunk] * 10 + [b"0\r\n\r\n"])
    assert_problem(answer, statuses=[413])


def test_a_100_kib_header_is_refused_or_the_connection_closed(target):
    process, _, _ = target
    answer = exchange(process.port, request("GET", "/actuator/info", [(b"X-Padding", b"a" * 100_000)]))
    assert_problem(answer, statuses=[400, 413, 431], may_close=True)


def test_a_100_kib_cookie_is_refused_or_the_connection_closed(target):
    process, path, headers = target
    cookie = (b"Cookie", b"access_token=" + b"a" * 100_000)
    answer = exchange(process.port, request("POST", path, [JSON, cookie], b"{}"))
    assert_problem(answer, statuses=[400, 413, 431], may_close=True)


def test_a_60_kib_cookie_of_junk_is_not_a_token(target):
    process, _, _ = target
    path = "/auth/user" if process.role == "auth" else "/api/profiles/me"
    answer = exchange(process.port, request("GET", path, [(b"Cookie", b"access_token=" + b"a." * 30_000)]))
    assert_problem(answer, statuses=[401, 431], may_close=True)


def test_thousands_of_headers_do_not_hurt(target):
    process, _, _ = target
    answer = exchange(process.port, request("GET", "/actuator/info", [(b"X-H%d" % i, b"v") for i in range(5000)]))
    assert answer.status in (200, 400, 431) or answer.status is None, answer.describe()


def test_invalid_utf8_in_a_json_body_is_a_bad_request(target):
    process, path, headers = target
    body = b'{"email":"\xff\xfe@example.com","password":"\xc3\x28","name":"\xed\xa0\x80"}'
    assert_problem(exchange(process.port, request("POST", path, headers(), body)), statuses=[400])


def test_invalid_utf8_in_the_path_query_and_cookies_is_handled(target):
    process, _, _ = target
    for raw in [
        request("GET", "/auth/%ff%fe%c3%28", []),
        request("GET", "/api/projects/%ff%fe", []),
        request("GET", "/auth/confirm-account?token=%ff%fe%c3%28%", []),
        request("GET", "/auth/session", [(b"Cookie", b"refresh_token=\xff\xfe; access_token=\xc3\x28")]),
        request("GET", "/auth/user", [(b"Cookie", b"access_token=\xff\xfe")]),
        request("DELETE", "/auth/sessions/%00", []),
    ]:
        answer = exchange(process.port, raw)
        if answer.status is not None and answer.status < 400:  # e.g. the confirm link's 302, /auth/session's 200
            continue
        assert_problem(answer, may_close=True)


def test_raw_non_utf8_bytes_in_the_request_line_are_refused(target):
    process, _, _ = target
    answer = exchange(process.port, b"GET /auth/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n")
    assert_problem(answer, may_close=True)


@pytest.mark.parametrize("body", [
    b"[" * 8000 + b"]" * 8000,                                              # 8000 levels, under 16 KiB
    b'{"email":' + b'{"a":' * 2500 + b"1" + b"}" * 2500 + b"}",             # nested objects in a field
    b'{"name":' + b"[" * 7000 + b"]" * 7000 + b"}",
])
def test_deeply_nested_json_is_a_bad_request(target, body):
    process, path, headers = target
    assert_problem(exchange(process.port, request("POST", path, headers(), body)), statuses=[400])


@pytest.mark.parametrize("body", [
    b'{"email": 1e999999, "password": -0, "name": 123456789012345678901234567890123456789}',
    b'{"email": "a@b.co", "email": "c@d.co", "password": null, "name": null}',
    b'{"email": "\\ud800", "password": "\\u0000\\u0000", "name": "\\udfff"}',
    b'"just a string"', b"null", b"", b"{", b"\x00\x00\x00\x00", b"\xef\xbb\xbf{}",
])
def test_strange_json_is_a_4xx(target, body):
    process, path, headers = target
    answer = exchange(process.port, request("POST", path, headers(), body))
    assert_problem(answer)


@pytest.mark.parametrize("content_type", [
    b"text/xml", b"application/xml", b"text/plain", b"application/octet-stream", b"multipart/form-data",
    b"application/json; charset=utf-16", b"application/x-www-form-urlencoded; charset=\xff", b"", b";;;",
])
def test_a_body_of_the_wrong_content_type_is_a_4xx(target, content_type):
    process, path, headers = target
    sent = [(name, value) for name, value in headers() if name != b"Content-Type"]
    if content_type:
        sent.append((b"Content-Type", content_type))
    answer = exchange(process.port, request("POST", path, sent, b"<a>\x00\xff</a>"))
    assert_problem(answer)


def test_a_body_without_content_type_is_unsupported(target):
    process, path, headers = target
    sent = [(name, value) for name, value in headers() if name != b"Content-Type"]
    assert_problem(exchange(process.port, request("POST", path, sent, b"{}")), statuses=[415])


def test_a_content_length_longer_than_the_body_then_a_close_does_not_hurt(target):
    process, path, headers = target
    head = request("POST", path, headers() + [(b"Content-Length", b"5000")], body=None, content_length=False)
    answer = exchange(process.port, head + b'{"email":', timeout=2)
    assert answer.status is None or 400 <= answer.status < 500, answer.describe()


def test_a_chunked_body_that_never_ends_does_not_hurt(target):
    """The body stalls: the server may wait for it (no answer within the client's timeout) or refuse
    it, but neither the stalled requests nor their abandonment may keep others from being served."""
    process, path, headers = target
    stalled = []
    try:
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", process.port), timeout=2)
            s.sendall(request("POST", path, headers() + [(b"Transfer-Encoding", b"chunked")], body=None)
                      + b'9\r\n{"email":\r\n')
            stalled.append(s)
        started = time.monotonic()
        r = requests.get(process.url("/actuator/health"), timeout=5)
        assert r.status_code == 200 and time.monotonic() - started < 2, "stalled bodies delay other requests"
        s = stalled[0]
        try:
            answer = s.recv(65536)
        except socket.timeout:
            answer = b""
        if answer:
            status = int(answer.split(b" ")[1])
            assert 400 <= status < 500, answer[:300]
    finally:
        for s in stalled:
            s.close()
    time.sleep(0.5)  # let the server notice the abandoned bodies before the fixture reads its log


def test_a_malformed_chunked_body_is_refused(target):
    process, path, headers = target
    head = request("POST", path, headers() + [(b"Transfer-Encoding", b"chunked")], body=None)
    answer = exchange(process.port, head + b"5\r\n{\"a\":\r\nzz\r\n", timeout=3)
    assert_problem(answer, may_close=True)


@pytest.mark.parametrize("raw", [
    b"GET /actuator/info HTTP/1.1\r\nHost: x\r\nX-Null: a\x00b\r\n\r\n",
    b"FOO /actuator/info HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /actuator/info HTTP/9.9\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 200,          # a TLS ClientHello
    b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 9\r\n\r\n{}{}",
    b"GET /auth/confirm-account?token=" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_malformed_http_is_refused_or_closed(target, raw):
    process, _, _ = target
    assert_problem(exchange(process.port, raw, timeout=5), may_close=True)

"""Resource Server benchmark: requests/s of GET /api/profiles/me with a valid cookie, against the
same server's unauthenticated /api/profiles/example (same body size), and against a FastAPI + PyJWT
peer doing the same cookie check. All measured side by side in one run with wrk; ratios reported.

Usage: bench/run [--duration 10] [--connections 64] [--rounds 2]
"""
import argparse
import email
import glob
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release", "gatehouse")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {url}")


def call(method: str, url: str, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    return response.status, response.headers, response.read()


def login(auth: str, outbox: str) -> str:
    """Registers, confirms and logs in the benchmark person; returns the access token."""
    def csrf():
        return json.loads(call("GET", f"{auth}/auth/csrf")[2])["csrfToken"]
    person = {"email": "ada@example.com", "password": "analytical engine 1843", "firstName": "Ada", "lastName": "Lovelace", "acceptTerms": True}
    status, _, _ = call("POST", f"{auth}/auth/register", person, {"X-CSRF-TOKEN": csrf()})
    assert status == 202, status
    link = None
    for _ in range(100):
        for path in glob.glob(os.path.join(outbox, "*.eml")):
            message = email.message_from_bytes(open(path, "rb").read())
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    found = re.search(r"http\S+confirm-account\S+", part.get_payload(decode=True).decode())
                    link = found.group(0) if found else link
        if link:
            break
        time.sleep(0.1)
    assert link, "no confirmation mail"
    call("GET", link)
    status, headers, _ = call("POST", f"{auth}/auth/login", {"email": person["email"], "password": person["password"]}, {"X-CSRF-TOKEN": csrf()})
    assert status == 200, status
    for cookie in headers.get_all("Set-Cookie"):
        if cookie.startswith("access_token="):
            return cookie.split(";")[0].split("=", 1)[1]
    raise SystemExit("no access token cookie")


def wrk(url: str, token: str | None, duration: int, connections: int) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if token:
        command[1:1] = ["-H", f"Cookie: access_token={token}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} failed responses\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="gatehouse-bench-")
    auth_port, resource_port, peer_port = free_port(), free_port(), free_port()
    auth, resource = f"http://localhost:{auth_port}", f"http://localhost:{resource_port}"
    env = {**os.environ,
           "GATEHOUSE_AUTH_PORT": str(auth_port), "GATEHOUSE_RESOURCE_PORT": str(resource_port),
           "GATEHOUSE_AUTH_URL": auth, "GATEHOUSE_RESOURCE_URL": resource,
           "GATEHOUSE_DATABASE_URL": f"sqlite://{work}/auth.sqlite", "GATEHOUSE_RESOURCE_DATABASE_URL": f"sqlite://{work}/resource.sqlite",
           "GATEHOUSE_KEYS_DIR": f"{work}/keys", "GATEHOUSE_OUTBOX_DIR": f"{work}/outbox", "GATEHOUSE_ACCESS_TOKEN_TTL": "3600"}
    processes = []
    try:
        processes.append(subprocess.Popen([BIN, "auth", "--log", "error"], env=env, cwd=work))
        wait_for(f"{auth}/actuator/health")
        processes.append(subprocess.Popen([BIN, "resource", "--log", "error"], env=env, cwd=work))
        wait_for(f"{resource}/actuator/health")
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "fastapi_peer:app", "--host", "127.0.0.1", "--port", str(peer_port),
             "--workers", "2", "--log-level", "warning", "--no-access-log"],
            env=env, cwd=os.path.join(ROOT, "bench", "peers")))
        token = login(auth, f"{work}/outbox")
        peer = f"http://127.0.0.1:{peer_port}"
        wait_for(f"{peer}/docs")

        bodies = {name: call("GET", url, headers={"Cookie": f"access_token={token}"})[2]
                  for name, url in [("me", f"{resource}/api/profiles/me"), ("example", f"{resource}/api/profiles/example"), ("peer", f"{peer}/api/profiles/me")]}
        sizes = {name: len(body) for name, body in bodies.items()}
        if len(set(sizes.values())) != 1:
            raise SystemExit(f"bodies differ in size: {sizes}")

        results = {"guarded": [], "open": [], "peer": []}
        for _ in range(args.rounds):
            results["guarded"].append(wrk(f"{resource}/api/profiles/me", token, args.duration, args.connections))
            results["open"].append(wrk(f"{resource}/api/profiles/example", None, args.duration, args.connections))
            results["peer"].append(wrk(f"{peer}/api/profiles/me", token, args.duration, args.connections))
        median = {name: statistics.median(values) for name, values in results.items()}
        print(f"\nResource Server benchmark: wrk -t2 -c{args.connections} -d{args.duration}s, {args.rounds} rounds interleaved, median req/s; body {sizes['me']} bytes")
        print(f"| route | req/s |")
        print(f"| --- | --- |")
        print(f"| Gatehouse GET /api/profiles/me (cookie verified) | {median['guarded']:.0f} |")
        print(f"| Gatehouse GET /api/profiles/example (no auth, same size) | {median['open']:.0f} |")
        print(f"| FastAPI + PyJWT GET /api/profiles/me (same check, 2 workers) | {median['peer']:.0f} |")
        print(f"\nguarded / unauthenticated = {median['guarded'] / median['open']:.2f} (target >= 0.9)")
        print(f"Gatehouse / FastAPI peer   = {median['guarded'] / median['peer']:.1f}x (target >= 5x)")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

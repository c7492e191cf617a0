"""Abuse-resistance measurements against a release `gatehouse auth` on SQLite (or PostgreSQL):

1. Equal work: forgot-password and resend-verification latency for an address with an account and
   one without, interleaved request by request; medians and their noise (median absolute deviation).
2. A hashing flood: a signed-in client refreshes in a loop while 200 registrations arrive at once
   from 50 addresses; its refresh latency before and under the flood, and how the flood was answered.

Usage: bench/abuse [--samples 300] [--backend sqlite|postgres]
"""
import argparse
import concurrent.futures
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from auth_bench import BIN, ROOT, SPA, Client, confirmation_links, free_port, log, set_cookies, wait_healthy  # noqa: E402


def anonymous_csrf(client: Client) -> str:
    return json.loads(client.call("GET", "/auth/csrf")[2])["csrfToken"]


def registration(email: str) -> dict:
    return {"email": email, "password": "a bench password " + email, "firstName": "Bench", "lastName": "Abuse",
            "acceptTerms": True}


def random_client_address() -> str:
    """A documentation-range address sent as X-Forwarded-For (the server trusts 127.0.0.1), so the
    per-address limits never answer instead of the code under test."""
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


def mad(values: list) -> float:
    centre = statistics.median(values)
    return statistics.median(abs(v - centre) for v in values)


def equal_work(port: int, outbox: str, samples: int) -> dict:
    client = Client(port)
    known, pending = "known@example.com", "pending@example.com"
    for email in (known, pending):
        status, _, body = client.call("POST", "/auth/register", registration(email), {"X-CSRF-TOKEN": anonymous_csrf(client)})
        assert status == 202, (status, body)
    deadline = time.time() + 30
    while known not in confirmation_links(outbox) and time.time() < deadline:
        time.sleep(0.1)
    link = urllib.parse.urlsplit(confirmation_links(outbox)[known])
    assert client.call("GET", f"{link.path}?{link.query}")[0] == 302
    cases = {
        ("forgot-password", "account"): ("/auth/forgot-password", known),
        ("forgot-password", "no account"): ("/auth/forgot-password", "nobody@example.com"),
        ("resend-verification", "unconfirmed account"): ("/auth/resend-verification", pending),
        ("resend-verification", "no account"): ("/auth/resend-verification", "nobody-else@example.com"),
    }
    timings = {case: [] for case in cases}
    order = list(cases)
    for _ in range(samples):
        random.shuffle(order)
        for case in order:
            path, email = cases[case]
            headers = {"X-CSRF-TOKEN": anonymous_csrf(client), "X-Forwarded-For": random_client_address()}
            started = time.perf_counter()
            status, _, body = client.call("POST", path, {"email": email}, headers)
            timings[case].append((time.perf_counter() - started) * 1000)
            assert status == 202, (case, status, body)
    client.close()
    return {f"{route} ({who})": {"median_ms": statistics.median(v), "mad_ms": mad(v)} for (route, who), v in timings.items()}


def flood(port: int, outbox: str) -> dict:
    client = Client(port)
    email = "flooded@example.com"
    assert client.call("POST", "/auth/register", registration(email), {"X-CSRF-TOKEN": anonymous_csrf(client)})[0] == 202
    deadline = time.time() + 30
    while email not in confirmation_links(outbox) and time.time() < deadline:
        time.sleep(0.1)
    link = urllib.parse.urlsplit(confirmation_links(outbox)[email])
    assert client.call("GET", f"{link.path}?{link.query}")[0] == 302
    status, headers, body = client.call("POST", "/auth/login", {"email": email, "password": registration(email)["password"]},
                                        {"X-CSRF-TOKEN": anonymous_csrf(client)})
    assert status == 200, (status, body)
    cookies, csrf = set_cookies(headers), json.loads(body)["csrfToken"]

    def refresh() -> tuple:
        nonlocal cookies, csrf
        started = time.perf_counter()
        status, headers, body = client.call("POST", "/auth/refresh", None, {
            "X-CSRF-TOKEN": csrf, "Cookie": f"refresh_token={cookies['refresh_token']}"})
        elapsed = (time.perf_counter() - started) * 1000
        if status == 200:
            cookies.update(set_cookies(headers))
            csrf = json.loads(body)["csrfToken"]
        return status, elapsed

    before = [refresh() for _ in range(200)]

    def register(index: int) -> int:
        one = Client(port, source=f"127.0.4.{index % 50 + 1}")
        try:
            return one.call("POST", "/auth/register", registration(f"flood{index}@example.com"),
                            {"X-CSRF-TOKEN": anonymous_csrf(one)})[0]
        finally:
            one.close()

    with concurrent.futures.ThreadPoolExecutor(200) as pool:
        started = time.perf_counter()
        futures = [pool.submit(register, index) for index in range(200)]
        during = []
        while not all(f.done() for f in futures):
            during.append(refresh())
        flood_seconds = time.perf_counter() - started
        answers = [f.result() for f in futures]
    client.close()

    def summary(samples):
        times = sorted(ms for _, ms in samples)
        return {"count": len(samples), "non_200": sum(1 for s, _ in samples if s != 200),
                "p50_ms": statistics.median(times), "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))]}

    return {"before": summary(before), "during": summary(during), "flood_seconds": flood_seconds,
            "registrations": {str(code): answers.count(code) for code in sorted(set(answers))}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=300, help="requests per equal-work case")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="gatehouse-abuse-bench-")
    os.chmod(work, 0o755)  # PostgreSQL runs as its own user and must reach its folder
    port = free_port()
    pg_dir = os.path.join(work, "pg")
    if args.backend == "postgres":
        database = subprocess.run([os.path.join(ROOT, "scripts", "postgres-test-server"), "start", pg_dir],
                                  capture_output=True, text=True, check=True).stdout.strip()
    else:
        database = f"sqlite://{os.path.join(work, 'auth.sqlite')}"
    outbox = os.path.join(work, "outbox")
    env = {key: value for key, value in os.environ.items() if not key.startswith("GATEHOUSE_")}
    env.update({
        "GATEHOUSE_AUTH_PORT": str(port), "GATEHOUSE_AUTH_URL": f"http://localhost:{port}", "GATEHOUSE_SPA_URL": SPA,
        "GATEHOUSE_DATABASE_URL": database, "GATEHOUSE_KEYS_DIR": os.path.join(work, "keys"),
        "GATEHOUSE_OUTBOX_DIR": outbox, "GATEHOUSE_TRUSTED_PROXIES": "127.0.0.1",
    })
    log_path = os.path.join(work, "server.log")
    process = subprocess.Popen([BIN, "auth", "--log", "error"], env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, process, log_path)
        log(f"equal work: {args.samples} requests per case, interleaved ({args.backend})")
        work_results = equal_work(port, outbox, args.samples)
        log("flood: 200 registrations at once while one client refreshes")
        flood_results = flood(port, outbox)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if args.backend == "postgres":
            subprocess.run([os.path.join(ROOT, "scripts", "postgres-test-server"), "stop", pg_dir], capture_output=True)
    print(f"\n## bench/abuse --samples {args.samples} --backend {args.backend}\n")
    print("| request | median | noise (MAD) |\n| --- | --- | --- |")
    for name, figures in work_results.items():
        print(f"| {name} | {figures['median_ms']:.2f} ms | {figures['mad_ms']:.2f} ms |")
    before, during = flood_results["before"], flood_results["during"]
    print(f"\nrefreshes before the flood: {before['count']}, p50 {before['p50_ms']:.1f} ms, p99 {before['p99_ms']:.1f} ms, "
          f"non-200 {before['non_200']}")
    print(f"refreshes during the flood ({flood_results['flood_seconds']:.1f} s): {during['count']}, p50 {during['p50_ms']:.1f} ms, "
          f"p99 {during['p99_ms']:.1f} ms, non-200 {during['non_200']}")
    print(f"registrations answered: {flood_results['registrations']}")


if __name__ == "__main__":
    main()

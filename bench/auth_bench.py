"""Auth Server benchmark: refresh rotations/s with 32 browser-like sessions, password logins/s against
the raw Argon2id verification rate of the same libargon2 at the same parameters, and the server's
resident memory, on PostgreSQL and on SQLite. Everything is measured side by side in one run on this
machine; the ratios are reported.

Usage: bench/auth [--duration 10] [--rounds 2] [--backend sqlite|postgres|both] [--perf DIR]
"""
import argparse
import concurrent.futures
import email
import email.utils
import glob
import http.client
import itertools
import json
import os
import re
import resource
import shlex
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release", "gatehouse")
HASHER = os.path.join(ROOT, "Sources", "AuthServer", "Accounts", "PasswordHasher.swift")
SPA = "http://localhost:5173"
TICK = os.sysconf("SC_CLK_TCK")
CORES = len(os.sched_getaffinity(0))


def log(message: str) -> None:
    print(f"[auth-bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------------------------- setup

def argon2_parameters() -> dict:
    """The Argon2id parameters the server uses, read from PasswordHasher.swift (never assumed)."""
    source = open(HASHER).read()

    def number(pattern: str) -> int:
        found = re.search(pattern, source)
        if not found:
            raise SystemExit(f"cannot find /{pattern}/ in {HASHER}: update bench/auth_bench.py")
        value = 1
        for factor in found.group(1).split("*"):
            value *= int(factor.strip().replace("_", ""))
        return value

    return {
        "memory_kib": number(r"var memoryKiB: UInt32 = ([\d_\s*]+)"),
        "iterations": number(r"var iterations: UInt32 = ([\d_\s*]+)"),
        "parallelism": number(r"var parallelism: UInt32 = ([\d_\s*]+)"),
        "hash_length": number(r"let hashLength = ([\d_\s*]+)"),
    }


def compile_tools(directory: str) -> dict:
    tools = {}
    for name, libraries in [("argon2_rate", ["-largon2"]), ("refresh_load", [])]:
        output = os.path.join(directory, name)
        subprocess.run(["gcc", "-O2", "-pthread", os.path.join(ROOT, "bench", f"{name}.c"), "-o", output, *libraries], check=True)
        tools[name] = output
    return tools


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A keep-alive HTTP/1.1 connection to the Auth Server from one source address."""

    def __init__(self, port: int, source: str = "127.0.0.1"):
        self.port, self.source, self.connection = port, source, None

    def call(self, method: str, path: str, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Host": f"localhost:{self.port}", "Origin": SPA, "Accept": "application/json", **(headers or {})}
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.source, 0))
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, response.headers, payload
            except (ConnectionError, http.client.HTTPException, OSError):
                self.close()
                if attempt:
                    raise

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def set_cookies(headers) -> dict:
    cookies = {}
    for header in headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";")[0]
    return cookies


def wait_healthy(port: int, process: subprocess.Popen, log_path: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gatehouse auth exited with {process.returncode}:\n{open(log_path).read()[-4000:]}")
        try:
            if Client(port).call("GET", "/actuator/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for the Auth Server on port {port}")


def person(index: int) -> dict:
    return {"email": f"bench{index:03d}@example.com", "password": f"bench password {index:03d} correct horse",
            "firstName": "Bench", "lastName": f"Person {index}", "acceptTerms": True}


def confirmation_links(outbox: str) -> dict:
    links = {}
    for path in glob.glob(os.path.join(outbox, "*.eml")):
        message = email.message_from_bytes(open(path, "rb").read())
        to = email.utils.parseaddr(message.get("To", ""))[1].lower()
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                found = re.search(r"http\S+confirm-account\S+", part.get_payload(decode=True).decode())
                if found:
                    links[to] = found.group(0)
    return links


def make_sessions(port: int, outbox: str, count: int) -> tuple[list, list]:
    """Registers, confirms (through the .eml outbox) and logs in `count` people. Returns their
    (refresh, access, csrf) sessions and the Set-Cookie order seen on the first login."""
    def register(index: int):
        # Registrations are limited per client address: spread them over a few loopback addresses.
        client = Client(port, source=f"127.0.3.{index % 16 + 1}")
        csrf = json.loads(client.call("GET", "/auth/csrf")[2])["csrfToken"]
        status, _, body = client.call("POST", "/auth/register", person(index), {"X-CSRF-TOKEN": csrf})
        client.close()
        if status != 202:
            raise SystemExit(f"register {index}: HTTP {status} {body[:300]!r}")

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(register, range(count)))
    wanted = {person(i)["email"] for i in range(count)}
    deadline = time.time() + 60
    while time.time() < deadline:
        links = confirmation_links(outbox)
        if wanted <= set(links):
            break
        time.sleep(0.2)
    else:
        raise SystemExit(f"only {len(set(links) & wanted)} of {count} confirmation mails arrived in {outbox}")
    client = Client(port)
    for address in sorted(wanted):
        link = urllib.parse.urlsplit(links[address])
        status, headers, _ = client.call("GET", f"{link.path}?{link.query}")
        if status != 302 or "status=success" not in (headers.get("Location") or ""):
            raise SystemExit(f"confirm {address}: HTTP {status} Location {headers.get('Location')}")
    sessions, order = [], []
    for index in range(count):
        csrf = json.loads(client.call("GET", "/auth/csrf")[2])["csrfToken"]
        who = person(index)
        status, headers, body = client.call("POST", "/auth/login", {"email": who["email"], "password": who["password"]}, {"X-CSRF-TOKEN": csrf})
        if status != 200:
            raise SystemExit(f"login {who['email']}: HTTP {status} {body[:300]!r}")
        cookies = set_cookies(headers)
        if not order:
            order = [h.split("=")[0] for h in headers.get_all("Set-Cookie")]
        sessions.append((cookies["refresh_token"], cookies["access_token"], json.loads(body)["csrfToken"]))
    client.close()
    return sessions, order


# -------------------------------------------------------------------------------------- measurement

def process_cpu(pid: int) -> float:
    """utime + stime of a process in seconds (0 when it is gone)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


def postgres_cpu(data_dir: str | None) -> float:
    """CPU seconds of the PostgreSQL postmaster and all its children (backends, writers)."""
    if not data_dir:
        return 0.0
    try:
        postmaster = int(open(os.path.join(data_dir, "postmaster.pid")).readline())
    except (OSError, ValueError):
        return 0.0
    total = process_cpu(postmaster)
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = open(stat).read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine so far (all cores), from /proc/stat."""
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in open("/proc/stat").readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / TICK


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def memory(pid: int) -> dict:
    values = {}
    for line in open(f"/proc/{pid}/status"):
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024  # kB -> MB
    return values


def run_refresh(tools: dict, port: int, sessions_path: str, duration: float, work: str, pid: int, pg_data: str | None) -> dict:
    out_path = os.path.join(work, "sessions.next")
    server0, pg0, machine0 = process_cpu(pid), postgres_cpu(pg_data), machine_cpu()
    result = subprocess.run([tools["refresh_load"], str(port), str(duration), sessions_path, out_path, SPA],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"refresh_load failed ({result.returncode}): {result.stderr}")
    report = json.loads(result.stdout)
    report["server_cores"] = (process_cpu(pid) - server0) / report["seconds"]
    report["postgres_cores"] = (postgres_cpu(pg_data) - pg0) / report["seconds"]
    report["client_cores"] = report["client_cpu_seconds"] / report["seconds"]
    report["other_cores"] = max(0.0, (machine_cpu() - machine0) / report["seconds"]
                                - report["server_cores"] - report["postgres_cores"] - report["client_cores"])
    report["non200"] = sum(report["statuses"].values()) + report["malformed"] + report["socket_errors"]
    os.replace(out_path, sessions_path)
    return report


def verify_chains(port: int, sessions_path: str) -> tuple[int, list]:
    """Presents each session's last refresh token once more; every one must still rotate (200)."""
    ok, failures, rows = 0, [], []
    client = Client(port)
    for line in open(sessions_path):
        refresh, access, csrf = line.rstrip("\n").split("\t")
        status, headers, body = client.call("POST", "/auth/refresh", headers={
            "Cookie": f"refresh_token={refresh}; access_token={access}", "X-CSRF-TOKEN": csrf})
        if status == 200:
            ok += 1
            cookies = set_cookies(headers)
            rows.append((cookies["refresh_token"], cookies.get("access_token", access), json.loads(body)["csrfToken"]))
        else:
            failures.append(f"HTTP {status} {body[:200]!r}")
            rows.append((refresh, access, csrf))
    client.close()
    with open(sessions_path, "w") as out:
        out.writelines("\t".join(row) + "\n" for row in rows)
    return ok, failures


def generation_sum(backend: str, database: str) -> int | None:
    """Rotations the server recorded (sessions.generation, +1 per rotation); None if unreadable."""
    query = "SELECT COALESCE(SUM(generation), 0) FROM sessions"
    try:
        if backend == "sqlite":
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as connection:
                return int(connection.execute(query).fetchone()[0])
        output = subprocess.run(["psql", database.replace("?sslmode=disable", ""), "-Atc", query],
                                capture_output=True, text=True, check=True).stdout
        return int(output.strip())
    except Exception as error:  # the schema may change under us; this check is a bonus
        log(f"could not read sessions.generation: {error}")
        return None


def stored_hash_parameters(backend: str, database: str) -> str | None:
    query = "SELECT password_hash FROM users WHERE password_hash IS NOT NULL LIMIT 1"
    try:
        if backend == "sqlite":
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as connection:
                encoded = connection.execute(query).fetchone()[0]
        else:
            encoded = subprocess.run(["psql", database.replace("?sslmode=disable", ""), "-Atc", query],
                                     capture_output=True, text=True, check=True).stdout.strip()
        return "$".join(encoded.split("$")[:4])
    except Exception as error:
        log(f"could not read a stored password hash: {error}")
        return None


def argon2_rate(tools: dict, parameters: dict, duration: float) -> dict:
    machine0, own0 = machine_cpu(), children_cpu()
    result = subprocess.run(
        [tools["argon2_rate"], str(parameters["memory_kib"]), str(parameters["iterations"]), str(parameters["parallelism"]),
         str(parameters["hash_length"]), str(CORES), str(duration), person(0)["password"]],
        capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"argon2_rate failed: {result.stdout}{result.stderr}")
    report = json.loads(result.stdout)
    own = children_cpu() - own0
    report["other_cores"] = max(0.0, (machine_cpu() - machine0 - own) / report["seconds"])
    return report


class Addresses:
    """Source addresses 127.1.x.y, each used for at most `per_address` logins, so neither the
    per-address limit (300 / 15 min) nor the per-account-and-address one (10) is ever reached."""

    def __init__(self, per_address: int = 20):
        self.per_address, self.counter, self.lock = per_address, itertools.count(), threading.Lock()

    def next(self) -> str:
        with self.lock:
            n = next(self.counter)
        return f"127.1.{n // 250}.{n % 250 + 1}"


def run_logins(port: int, duration: float, concurrency: int, accounts: int, expected_rate: float, addresses: Addresses,
               pid: int, pg_data: str | None) -> dict:
    needed = int(max(expected_rate, 10) * duration * 2) + 4 * concurrency
    fetcher = Client(port)
    tokens = [json.loads(fetcher.call("GET", "/auth/csrf")[2])["csrfToken"] for _ in range(needed)]
    fetcher.close()
    jobs = iter([(token, person(i % accounts)) for i, token in enumerate(tokens)])
    jobs_lock = threading.Lock()
    statuses, first_errors, latencies, lock = {}, [], [], threading.Lock()
    ran_out = threading.Event()
    start_barrier = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker():
        client, used = None, 0
        start_barrier.wait()
        while time.monotonic() < deadline[0]:
            with jobs_lock:
                job = next(jobs, None)
            if job is None:
                ran_out.set()
                break
            if client is None or used >= addresses.per_address:
                if client:
                    client.close()
                client, used = Client(port, addresses.next()), 0
            token, who = job
            began = time.monotonic()
            try:
                status, _, body = client.call("POST", "/auth/login", {"email": who["email"], "password": who["password"]},
                                              {"X-CSRF-TOKEN": token})
            except OSError as error:
                status, body = 0, str(error).encode()
            used += 1
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                latencies.append(time.monotonic() - began)
                if status != 200 and len(first_errors) < 3:
                    first_errors.append(f"HTTP {status}: {body[:300].decode(errors='replace')}")
        if client:
            client.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    usage0, server0, pg0, machine0 = resource.getrusage(resource.RUSAGE_SELF), process_cpu(pid), postgres_cpu(pg_data), machine_cpu()
    began = time.monotonic()
    deadline[0] = began + duration
    start_barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    usage1, machine1 = resource.getrusage(resource.RUSAGE_SELF), machine_cpu()
    client_cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    server_cores, pg_cores = (process_cpu(pid) - server0) / elapsed, (postgres_cpu(pg_data) - pg0) / elapsed
    if ran_out.is_set():
        log("warning: the login run used up its prefetched CSRF tokens before the end")
    latencies.sort()
    ok = statuses.get(200, 0)
    return {"rate": ok / elapsed, "ok": ok, "seconds": elapsed, "statuses": statuses, "first_errors": first_errors,
            "non200": sum(n for s, n in statuses.items() if s != 200), "rate_limited": statuses.get(429, 0),
            "client_cores": client_cpu / elapsed, "server_cores": server_cores, "postgres_cores": pg_cores,
            "other_cores": max(0.0, (machine1 - machine0) / elapsed - server_cores - pg_cores - client_cpu / elapsed),
            "p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else 0,
            "p99_ms": latencies[int((len(latencies) - 1) * 0.99)] * 1000 if latencies else 0}


def demangle(symbols: list) -> list:
    """Swift symbols made readable (swift-demangle --simplified), others unchanged."""
    tool = shutil.which("swift-demangle")
    if not tool or not symbols:
        return symbols
    result = subprocess.run([tool, "--simplified", "--compact"], input="\n".join(symbols) + "\n", capture_output=True, text=True)
    names = result.stdout.splitlines()
    return names if result.returncode == 0 and len(names) == len(symbols) else symbols


def profile_refresh(tools: dict, port: int, sessions_path: str, work: str, pid: int, directory: str, seconds: float) -> list:
    """One extra, unreported refresh run under `perf record -g`; returns the top symbols."""
    os.makedirs(directory, exist_ok=True)
    data = os.path.join(directory, "perf.data")
    load = subprocess.Popen([tools["refresh_load"], str(port), str(seconds + 2), sessions_path, os.path.join(work, "sessions.perf"), SPA],
                            stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    subprocess.run(["perf", "record", "-e", "cpu-clock", "-g", "-p", str(pid), "-o", data, "--", "sleep", str(seconds)],
                   capture_output=True, check=True)
    load_report = json.loads(load.communicate()[0])
    os.replace(os.path.join(work, "sessions.perf"), sessions_path)
    full = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio"], capture_output=True, text=True).stdout
    open(os.path.join(directory, "report-callgraph.txt"), "w").write(full)
    tables = {}
    for name, mode in [("self", "--no-children"), ("children", "--children")]:
        text = subprocess.run(["perf", "report", "-i", data, mode, "--stdio", "-g", "none", "--sort", "dso,symbol"],
                              capture_output=True, text=True).stdout
        rows = []
        for line in text.splitlines():
            found = re.match(r"\s+([\d.]+)%\s+(?:([\d.]+)%\s+)?(\S+)\s+\[(.)\]\s+(.+?)(?:\s+-\s+-)?\s*$", line)
            if found:
                rows.append((found.group(1), found.group(2), found.group(3), found.group(5)))
        names = demangle([row[3] for row in rows])
        lines = [f"{first:>6}%  " + (f"{second:>6}%  " if second else "") + f"{dso:<24.24} {symbol}"
                 for (first, second, dso, _), symbol in zip(rows, names)]
        open(os.path.join(directory, f"top-{name}.txt"), "w").write("\n".join(lines) + "\n")
        tables[name] = lines
    inclusive = [line for line in tables["children"] if " gatehouse " in line][:20]
    log(f"perf: {load_report['rate']:.0f} rotations/s while profiled; reports in {directory}")
    return tables["self"][:25], inclusive


# ------------------------------------------------------------------------------------------ backends

def run_backend(backend: str, args, tools: dict, parameters: dict, addresses: Addresses) -> dict:
    work = tempfile.mkdtemp(prefix=f"gatehouse-auth-bench-{backend}-")
    os.chmod(work, 0o755)
    pg_dir = os.path.join(work, "pg")
    process, pg_data = None, None
    port = free_port()
    try:
        if backend == "postgres":
            database = subprocess.run([os.path.join(ROOT, "scripts", "postgres-test-server"), "start", pg_dir],
                                      capture_output=True, text=True, check=True).stdout.strip()
            pg_data = os.path.join(pg_dir, "data")
        else:
            database = os.path.join(work, "auth.sqlite")
        env = {key: value for key, value in os.environ.items() if not key.startswith("GATEHOUSE_") and key != "LOG_LEVEL"}
        env.update({
            "GATEHOUSE_AUTH_PORT": str(port), "GATEHOUSE_AUTH_URL": f"http://localhost:{port}", "GATEHOUSE_SPA_URL": SPA,
            "GATEHOUSE_DATABASE_URL": database if backend == "postgres" else f"sqlite://{database}",
            "GATEHOUSE_KEYS_DIR": os.path.join(work, "keys"), "GATEHOUSE_OUTBOX_DIR": os.path.join(work, "outbox"),
        })
        server_log = os.path.join(work, "server.log")
        process = subprocess.Popen([BIN, "auth", "--log", "error"], env=env, cwd=work,
                                   stdout=open(server_log, "w"), stderr=subprocess.STDOUT)
        wait_healthy(port, process, server_log)
        log(f"{backend}: Auth Server pid {process.pid} on port {port}; data in {work}")

        sessions, cookie_order = make_sessions(port, os.path.join(work, "outbox"), args.sessions)
        stored = stored_hash_parameters(backend, database)
        sessions_path = os.path.join(work, "sessions")
        with open(sessions_path, "w") as out:
            out.writelines("\t".join(row) + "\n" for row in sessions)
        log(f"{backend}: {len(sessions)} sessions ready; Set-Cookie order of this server process: {', '.join(cookie_order)}")

        refresh = []
        for round_number in range(args.rounds):
            report = run_refresh(tools, port, sessions_path, args.duration, work, process.pid, pg_data)
            refresh.append(report)
            log(f"{backend}: refresh round {round_number + 1}: {report['rate']:.0f} rotations/s, non-200 {report['non200']} "
                f"{report['statuses'] or ''}{' ' + report['first_error'] if report['first_error'] else ''}")
        rss = memory(process.pid)
        log(f"{backend}: VmRSS {rss['VmRSS']:.1f} MB (peak {rss['VmHWM']:.1f} MB) right after the refresh runs")
        chained_ok, chain_failures = verify_chains(port, sessions_path)
        client_rotations = sum(r["rotations"] for r in refresh) + chained_ok
        recorded = generation_sum(backend, database)

        top = ([], [])
        if args.perf and backend == "postgres":
            top = profile_refresh(tools, port, sessions_path, work, process.pid, args.perf, min(8.0, max(2.0, args.duration - 2)))

        logins, raw = [], []
        for round_number in range(args.rounds):
            raw.append(argon2_rate(tools, parameters, args.duration))
            report = run_logins(port, args.duration, args.login_concurrency, args.sessions, raw[-1]["rate"], addresses,
                                process.pid, pg_data)
            logins.append(report)
            log(f"{backend}: round {round_number + 1}: raw Argon2id {raw[-1]['rate']:.1f}/s, logins {report['rate']:.1f}/s, "
                f"statuses {report['statuses']}{' ' + report['first_errors'][0] if report['first_errors'] else ''}")
        if process.poll() is not None:
            raise SystemExit(f"gatehouse auth exited during the benchmark:\n{open(server_log).read()[-4000:]}")
        errors = open(server_log).read()
        return {
            "backend": backend, "refresh": refresh, "rss": rss, "chained_ok": chained_ok, "chain_failures": chain_failures,
            "client_rotations": client_rotations, "recorded_rotations": recorded, "logins": logins, "raw": raw,
            "stored_hash": stored, "cookie_order": cookie_order, "top": top, "server_log_tail": errors[-2000:],
            "data_dir_fs": subprocess.run(["stat", "-f", "-c", "%T", work], capture_output=True, text=True).stdout.strip(),
        }
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if backend == "postgres":
            subprocess.run([os.path.join(ROOT, "scripts", "postgres-test-server"), "stop", pg_dir], capture_output=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def median(values):
    return statistics.median(values) if values else float("nan")


def report(results: list, args, parameters: dict) -> None:
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    columns = [names[r["backend"]] for r in results]

    def row(label: str, values: list, target: str = "") -> None:
        print(f"| {label} | " + " | ".join(values) + f" | {target} |")

    def per(fn):
        return [fn(r) for r in results]

    print(f"\nAuth Server benchmark: {CORES} cores, {args.duration:g} s per run, {args.rounds} rounds, medians")
    print(f"command: bench/auth {' '.join(shlex.quote(a) for a in sys.argv[1:])}".rstrip())
    print(f"Argon2id from {os.path.relpath(HASHER, ROOT)}: m={parameters['memory_kib']} KiB, t={parameters['iterations']}, "
          f"p={parameters['parallelism']}, {parameters['hash_length']}-byte hash; stored: "
          + ", ".join(f"{names[r['backend']]} {r['stored_hash']}" for r in results))
    expected = f"$argon2id$v=19$m={parameters['memory_kib']},t={parameters['iterations']},p={parameters['parallelism']}"
    for r in results:
        if r["stored_hash"] and r["stored_hash"] != expected:
            print(f"WARNING: {names[r['backend']]} stored {r['stored_hash']}, not {expected}: the raw rate is not comparable")
    print()
    print("| measure | " + " | ".join(columns) + " | target |")
    print("| --- | " + " | ".join("---" for _ in columns) + " | --- |")
    row(f"refresh rotations/s ({args.sessions} sessions)", per(lambda r: f"{median([x['rate'] for x in r['refresh']]):.0f}"), ">= 1000")
    row("refresh non-200 / socket errors", per(lambda r: f"{sum(x['non200'] for x in r['refresh'])}"
                                               + (f" {merge(x['statuses'] for x in r['refresh'])}" if any(x['statuses'] for x in r['refresh']) else "")), "0")
    row("refresh latency p50 / p99 (ms)", per(lambda r: f"{median([x['latency_ms']['p50'] for x in r['refresh']]):.1f} / "
                                              f"{median([x['latency_ms']['p99'] for x in r['refresh']]):.1f}"))
    row("refresh CPU: server / PostgreSQL / client (cores)", per(lambda r: "{:.2f} / {:.2f} / {:.2f}".format(
        median([x['server_cores'] for x in r['refresh']]), median([x['postgres_cores'] for x in r['refresh']]),
        median([x['client_cores'] for x in r['refresh']]))))
    row("chains: last token still rotates", per(lambda r: f"{r['chained_ok']}/{args.sessions}"), f"{args.sessions}/{args.sessions}")
    row("rotations counted by client / recorded by server", per(lambda r: f"{r['client_rotations']} / {r['recorded_rotations']}"), "equal")
    row("Auth Server VmRSS after refresh (MB)", per(lambda r: f"{r['rss']['VmRSS']:.1f} (peak {r['rss']['VmHWM']:.1f})"), "< 100")
    row("password logins/s", per(lambda r: f"{median([x['rate'] for x in r['logins']]):.1f}"))
    row("login non-200 (429)", per(lambda r: f"{sum(x['non200'] for x in r['logins'])} ({sum(x['rate_limited'] for x in r['logins'])})"), "0 (0)")
    row("login latency p50 / p99 (ms)", per(lambda r: f"{median([x['p50_ms'] for x in r['logins']]):.0f} / {median([x['p99_ms'] for x in r['logins']]):.0f}"))
    row("login CPU: server / PostgreSQL / client (cores)", per(lambda r: "{:.2f} / {:.2f} / {:.2f}".format(
        median([x['server_cores'] for x in r['logins']]), median([x['postgres_cores'] for x in r['logins']]),
        median([x['client_cores'] for x in r['logins']]))))
    row("other processes on the machine (cores): refresh / logins / Argon2id", per(lambda r: "{:.2f} / {:.2f} / {:.2f}".format(
        median([x['other_cores'] for x in r['refresh']]), median([x['other_cores'] for x in r['logins']]),
        median([x['other_cores'] for x in r['raw']]))), "~0")
    row(f"raw Argon2id verify/s (libargon2, {CORES} threads)", per(lambda r: f"{median([x['rate'] for x in r['raw']]):.1f}"))
    row("logins/s / raw Argon2id", per(lambda r: f"{median([l['rate'] / a['rate'] for l, a in zip(r['logins'], r['raw'])]):.2f}"), ">= 0.9")
    print()
    for r in results:
        for label, problems in [("refresh chain check", r["chain_failures"]),
                                ("login errors", [e for x in r["logins"] for e in x["first_errors"]]),
                                ("refresh errors", [x["first_error"] for x in r["refresh"] if x["first_error"]])]:
            if problems:
                print(f"{names[r['backend']]} {label}: {problems[:3]}")
        if r["server_log_tail"].strip():
            print(f"{names[r['backend']]} server log (tail):\n{r['server_log_tail']}")
        if r["top"][0]:
            print(f"\nperf, PostgreSQL refresh (perf record -e cpu-clock -g; perf report --no-children), top {len(r['top'][0])} symbols by self time:")
            print("\n".join(r["top"][0]))
            print(f"\nsame profile with --children (inclusive), top {len(r['top'][1])} from the gatehouse binary (children%, self%):")
            print("\n".join(r["top"][1]))
            print(f"full reports: {args.perf}")


def merge(dicts) -> dict:
    total = {}
    for d in dicts:
        for key, value in d.items():
            total[key] = total.get(key, 0) + value
    return total


def main() -> None:
    global BIN
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each measurement per backend; medians reported")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sessions", type=int, default=32, help="concurrent refresh sessions (and accounts)")
    parser.add_argument("--login-concurrency", type=int, default=8, help="logins in flight at once")
    parser.add_argument("--perf", metavar="DIR", help="also profile one extra PostgreSQL refresh run with perf into DIR (keep it out of git)")
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    parser.add_argument("--binary", default=BIN, help="the gatehouse binary (default: the release build)")
    args = parser.parse_args()
    BIN = os.path.abspath(args.binary)
    if not os.access(BIN, os.X_OK):
        raise SystemExit(f"{BIN} missing: swift build -c release --product gatehouse")
    if args.perf and os.path.abspath(args.perf).startswith(ROOT + os.sep):
        raise SystemExit("--perf: write perf data outside the repository, e.g. /tmp/gatehouse-perf")
    if args.perf and not shutil.which("perf"):
        raise SystemExit("--perf needs perf (Debian: linux-perf)")

    before = machine_cpu()
    time.sleep(2)
    busy = (machine_cpu() - before) / 2
    if busy > 0.2:
        log(f"warning: other processes already use {busy:.2f} of {CORES} cores; the figures will be unreliable")
    parameters = argon2_parameters()
    tools_dir = tempfile.mkdtemp(prefix="gatehouse-auth-bench-tools-")
    try:
        tools = compile_tools(tools_dir)
        addresses = Addresses()
        backends = ["postgres", "sqlite"] if args.backend == "both" else [args.backend]
        results = [run_backend(backend, args, tools, parameters, addresses) for backend in backends]
        report(results, args, parameters)
    finally:
        shutil.rmtree(tools_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

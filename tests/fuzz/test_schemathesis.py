"""Schemathesis against both servers, from the OpenAPI documents they serve at `/openapi.json`.

The documents are loaded from the repository (`Sources/*/Resources/openapi.json`, the files the
servers bundle); set GATEHOUSE_FUZZ_SCHEMA=url to load them from the running servers instead.

Each server is fuzzed twice: `anonymous` (junk cookies, fresh anonymous CSRF tokens where one is
taken) and `session` (the fuzz account's live session and CSRF token on every request; see
schemathesis_hooks.py). Every phase runs (examples, coverage, fuzzing, stateful), with these checks:
no 5xx, every status, content type, body and header documented, and `405` with `Allow` for a
method a path does not take.

GATEHOUSE_FUZZ_EXAMPLES (default 25) bounds the generated cases per operation of the fuzzing phase;
GATEHOUSE_FUZZ_SEED makes a run repeatable.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from stack import AUTH_DOCUMENT, RESOURCE_DOCUMENT, write_json

HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
CONFIG_FILE = Path(__file__).with_name("schemathesis.toml")
CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance",
    "response_headers_conformance", "unsupported_method",
])
EXAMPLES = int(os.environ.get("GATEHOUSE_FUZZ_EXAMPLES", "25"))
# Operations of the documents that a server may not serve yet: fuzzed once the server answers them.
PENDING = ("/openapi.json", "/actuator/prometheus")
# Signed-in operations that must answer 200 at least once in `session` mode: proof that the hooks
# really put the fuzzing behind the login, and did not just collect 401s.
MUST_SUCCEED = {
    "auth": ["GET /auth/user", "GET /auth/validate", "GET /auth/sessions", "GET /auth/identities"],
    "resource": ["GET /api/profiles/me", "GET /api/projects"],
}


def schemathesis_command() -> list[str]:
    exe = shutil.which("schemathesis") or shutil.which("st")
    if exe is None:
        pytest.fail("schemathesis is not installed: python3 -m pip install -r tests/requirements.txt")
    return [exe]


def pending_exclusions(base: str) -> list[str]:
    """`--exclude-path` for each pending operation the server does not serve yet (404)."""
    args = []
    for path in PENDING:
        if requests.get(base + path, timeout=10).status_code == 404:
            args += ["--exclude-path", path]
    return args


def cases_generated(output: str) -> int:
    match = re.search(r"Test cases:\s*\n\s*(\d+) generated", output)
    return int(match.group(1)) if match else 0


def failures_section(output: str, limit: int = 12_000) -> str:
    start = output.find("=== FAILURES ===")
    if start < 0:
        start = output.find("=== ERRORS ===")
    section = output[max(0, output.rfind("\n", 0, start)):] if start >= 0 else output[-4000:]
    return section[:limit]


@pytest.mark.parametrize("mode", ["anonymous", "session"])
@pytest.mark.parametrize("role", ["auth", "resource"])
def test_server_answers_as_its_document_says(role, mode, stack, account, mfa_account, tmp_path, fuzz_report):
    server = stack.auth if role == "auth" else stack.resource
    document = AUTH_DOCUMENT if role == "auth" else RESOURCE_DOCUMENT
    location = server.url("/openapi.json") if os.environ.get("GATEHOUSE_FUZZ_SCHEMA") == "url" else str(document)
    stats_path = tmp_path / "stats.json"
    config = write_json(tmp_path / "config.json", {
        "role": role, "mode": mode, "auth_url": stack.auth.base,
        "email": account.email, "password": account.password, "device": account.device,
        "mfa_email": mfa_account.email, "mfa_password": mfa_account.password, "mfa_device": mfa_account.device,
        "providers": list(stack.providers), "stats": str(stats_path),
    })
    command = [
        *schemathesis_command(), "--config-file", str(CONFIG_FILE), "run", location, "--url", server.base,
        "--checks", CHECKS, "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(EXAMPLES), "--workers", "1", "--request-timeout", "20",
        "--generation-database", "none", "--no-color", "--max-failures", "50",
        "--suppress-health-check", "all", "--warnings", "off",
        *pending_exclusions(server.base),
    ]
    if role == "auth" and mode == "session":
        # Deleting the account works in one case (a fresh login counts as recent authentication),
        # and would leave every later case without its signed-in caller; tests/e2e covers it.
        command += ["--exclude-operation-id", "deleteAccount"]
    if os.environ.get("GATEHOUSE_FUZZ_SEED"):
        command += ["--seed", os.environ["GATEHOUSE_FUZZ_SEED"]]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS), "GATEHOUSE_FUZZ_CONFIG": str(config),
           "PYTHONPATH": str(HOOKS.parent)}
    started = time.monotonic()
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    elapsed = time.monotonic() - started
    output = run.stdout + run.stderr
    (tmp_path / "schemathesis.log").write_text(output)
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {"requests": 0, "by_operation": {}}
    cases = cases_generated(output)
    seed = re.search(r"Seed: (\d+)", output)
    fuzz_report.append(f"{role:8} {mode:9} {cases:5} cases, {stats['requests']:5} requests, "
                       f"{stats.get('logins', 0):3} logins, {elapsed:5.1f}s, seed {seed.group(1) if seed else '?'}")

    for process in stack.processes():
        assert process.proc is not None and process.proc.poll() is None, \
            f"{process.name} exited during the run\n{process.log_tail(60)}"
    assert run.returncode == 0, (
        f"schemathesis found answers that break {document.relative_to(document.parents[3])} "
        f"(exit {run.returncode}; full log {tmp_path / 'schemathesis.log'}):\n{failures_section(output)}")
    assert cases > 0, f"schemathesis ran no case:\n{output[-3000:]}"
    if mode == "session":
        for operation in MUST_SUCCEED[role]:
            statuses = stats["by_operation"].get(operation, {})
            assert statuses.get("200"), f"{operation} never answered 200 behind the login: {statuses}"
    # The one 5xx the run tolerates (schemathesis.toml): linking a provider that is down or broken.
    tolerated = tuple(f"POST /auth/identities/{{provider}}/link -> 503 {code}"
                      for code in ("provider_unavailable", "provider_error"))
    unexpected = {k: n for k, n in stats.get("server_errors", {}).items() if not k.startswith(tolerated)}
    assert not unexpected, f"server errors seen by the hooks: {unexpected}"


@pytest.mark.parametrize("role", ["auth", "resource"])
def test_served_document_is_the_bundled_file(role, stack):
    server = stack.auth if role == "auth" else stack.resource
    document = AUTH_DOCUMENT if role == "auth" else RESOURCE_DOCUMENT
    r = requests.get(server.url("/openapi.json"), timeout=10)
    if r.status_code == 404:
        pytest.skip(f"gatehouse {role} does not serve /openapi.json yet")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json"), r.text[:300]
    assert r.json() == json.loads(document.read_text()), \
        f"/openapi.json is not {document} (the server bundles the file when it is built: rebuild after changing it)"

"""Test support shared by the end-to-end suite (tests/e2e) and the real-browser suite (tests/browser).

- `processes`: `GatehouseProcess`, one `gatehouse <role>` process (auth, resource or web): binary,
  settings, port, log; start, wait_healthy, stop, restart. Also the settings' defaults, in one place.
- `mail`: the `.eml` files a server writes to its outbox (`Outbox`, `parse_mail`).
- `oidc`: `OidcProvider`, a local OpenID provider (oidc-provider-mock) standing in for Google.
- `smtp`: `SmtpSink` (scripts/smtp_sink.py on a port) and a port held closed until it comes.
- `postgres`: `ThrowawayPostgres`, a cluster of a test's own that it may stop and start again.
- `plugin`: what both suites' conftests import: the `oidc_provider` fixture and the hook that puts
  the server logs (and whatever else a suite registers) into a failed test's report.

Each suite's conftest.py puts tests/ on `sys.path` and imports from here.
"""

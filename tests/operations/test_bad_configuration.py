"""Bad configuration exits 2 before the first request, naming the key and the expected form; never echoing a
token, never retried as if the provider were down."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import CLOUDFLARE_TOKEN, point_at, query

BACKFILL = ["backfill", "--start", "2026-10-01", "--end", "2026-10-03", "--sources", "cloudflare_billing"]


# fails before: the first two exit 1 (ConfigValueCannotBeCoercedException), the token/URL/timeout ones retry for
# MAX_RETRY_SECONDS and exit 4 "check the provider's status page", the rest exit 0 (or 1) having loaded nothing
@pytest.mark.parametrize("key, value, says", [
    ("SOURCES__CLOUDFLARE__ACCOUNT_IDS", "abc", "must be a JSON list"),
    ("SOURCES__CLOUDFLARE__LOOKBACK_DAYS", "three", "must be a whole number"),
    ("SOURCES__CLOUDFLARE__LOOKBACK_DAYS", "-1", "at least 0"),
    ("SOURCES__CLOUDFLARE__CONCURRENCY", "0", "at least 1"),
    ("SOURCES__CLOUDFLARE__TIMEOUT_SECONDS", "-5", "greater than 0"),
    ("SOURCES__CLOUDFLARE__TIMEOUT_SECONDS", "0", "greater than 0"),
    ("SOURCES__CLOUDFLARE__BASE_URL", "ftp://127.0.0.1/client/v4", "must be an http(s) URL"),
    ("SOURCES__CLOUDFLARE__BASE_URL", "http//nowhere", "must be an http(s) URL"),
    ("SOURCES__CLOUDFLARE__BASE_URL", "http://127.0.0.1:port/x", "must be an http(s) URL"),
    ("SOURCES__CLOUDFLARE__API_TOKEN", "", "is empty"),
    ("SOURCES__CLOUDFLARE__START_DATE", "2026-11-25", "is after SOURCES__CLOUDFLARE__END_DATE"),
])
def test_bad_configuration_exits_2_naming_the_key_before_any_request(sandbox, cli, workdir, monkeypatch, key,
                                                                     value, says):
    point_at(monkeypatch, sandbox, venice=False, **{key: value})
    result = cli(*BACKFILL)
    assert result.code == 2, result.output
    assert key in result.stdout and says in result.stdout
    assert not [r for r in sandbox.requests if r["api"] != "control"], "a request went out"
    assert "Traceback" not in result.output


@pytest.mark.parametrize("spoiled", [CLOUDFLARE_TOKEN + "\n", CLOUDFLARE_TOKEN + "\n ", " " + CLOUDFLARE_TOKEN,
                                     CLOUDFLARE_TOKEN[:8] + " " + CLOUDFLARE_TOKEN[8:]])
def test_a_token_with_whitespace_is_refused_and_never_echoed(sandbox, workdir, monkeypatch, spoiled):
    # fails before: "Illegal header value b'Bearer <token>\n '" in the summary, the log and _run_history, exit 4
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__API_TOKEN=spoiled)
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", *BACKFILL, "-v", "--log-format", "json"],
                          cwd=workdir, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert "SOURCES__CLOUDFLARE__API_TOKEN contains whitespace" in summary["sources"][0]["errors"][0]
    stripped = spoiled.strip()
    pieces = {stripped, repr(spoiled)[1:-1], stripped[:8], stripped[9:]} - {""}
    history = " ".join(str(row) for row in query(workdir, "SELECT * FROM finops._run_history"))
    for text in (done.stdout, done.stderr, history):
        for piece in pieces:
            assert piece not in text
    assert not [r for r in sandbox.requests if r["api"] != "control"]


def test_redaction_covers_every_form_of_a_secret():
    from pipelines.errors import FinopsError
    from pipelines.logs import redact, register_secret

    token = "tok-Abc123456789\n"
    register_secret(token)
    for leaked in (token, token.strip(), repr(token), repr(token.encode()), f"b'Bearer {token.strip()}\\n '",
                   "tok-Abc123456789%0A"):
        assert "Abc123456789" not in redact(f"error: {leaked}")
        assert "Abc123456789" not in FinopsError(f"error: {leaked}").message

"""Flaky providers: every run either succeeds or exits with the documented code, and a follow-up converges."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import point_at, query

START, END = "2026-10-01", "2026-10-05"


def served_count(sb, start=date(2026, 10, 1), end=date(2026, 10, 5)) -> int:
    return sum(len(sb.expected_cloudflare_records(a, start, end)) for a in sb.account_ids)


def loaded_count(workdir) -> int:
    (n,) = query(workdir, "SELECT count(*) FROM finops.cloudflare_billable_usage")[0]
    (distinct,) = query(workdir, "SELECT count(DISTINCT record_key) FROM finops.cloudflare_billable_usage")[0]
    assert n == distinct, "a duplicate row"
    return n


@pytest.mark.parametrize("kind, params", [
    ("status", {"status": 500}),
    ("status", {"status": 503}),
    ("status", {"status": 408}),
    ("rate_limit", {"retry_after": 1}),
    ("reset", {}),
    ("truncate", {}),
])
def test_transient_faults_are_retried_and_the_run_loads_everything(sandbox, cli, workdir, monkeypatch, kind,
                                                                   params):
    point_at(monkeypatch, sandbox, venice=False)
    sandbox.add_fault(r"/billable/usage$", kind, times=2, **params)
    result = cli("backfill", "--start", START, "--end", END, "--sources", "cloudflare_billing")
    assert result.code == 0, result.output
    assert loaded_count(workdir) == served_count(sandbox)


def test_a_slow_response_past_the_timeout_is_retried(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__TIMEOUT_SECONDS="1")
    sandbox.add_fault(r"/billable/usage$", "delay", times=1, seconds=2.5)
    result = cli("backfill", "--start", START, "--end", END, "--sources", "cloudflare_billing")
    assert result.code == 0, result.output
    assert loaded_count(workdir) == served_count(sandbox)


def test_a_provider_that_keeps_failing_exits_4_and_the_next_run_converges(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__MAX_RETRY_SECONDS="2")
    sandbox.add_fault(r"/billable/usage$", "status", times=1000, status=502)
    result = cli("backfill", "--start", START, "--end", END, "--sources", "cloudflare_billing")
    assert result.code == 4, result.output
    assert "Cloudflare" in result.output and "502" in result.output
    sandbox.clear_faults()
    assert cli("backfill", "--start", START, "--end", END, "--sources", "cloudflare_billing").code == 0
    assert loaded_count(workdir) == served_count(sandbox)


def test_a_429_storm_is_paced_by_retry_after_and_never_exceeds_the_retry_budget(sandbox, cli, workdir,
                                                                                 monkeypatch):
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__MAX_RETRY_SECONDS="3")
    sandbox.add_fault(r"/billable/usage$", "rate_limit", times=1000, retry_after=1)
    result = cli("backfill", "--start", START, "--end", END, "--sources", "cloudflare_billing")
    assert result.code == 4, result.output
    storm = [r for r in sandbox.requests if r["status"] == 429]
    # waited Retry-After (1 s) between tries: a handful of requests per window, not a hammering
    assert 0 < len(storm) <= 3 * 4 * 2


# fails before: a 200 with `success: false` or `result: null` read as an empty window, exit 0, and the high-water
# mark moved past days that were never read
@pytest.mark.parametrize("kind", ["success_false", "null_result"])
@pytest.mark.parametrize("path, source", [(r"/billable/usage$", "cloudflare_billing"),
                                          (r"/ai-gateway/billing/usage-history$", "ai_gateway"),
                                          (r"/ai-gateway/billing/spending-limit$", "ai_gateway")])
def test_a_failed_envelope_is_a_provider_error_and_the_mark_does_not_move(sandbox, cli, workdir, monkeypatch, kind,
                                                                          path, source):
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__MAX_RETRY_SECONDS="1",
             SOURCES__CLOUDFLARE__START_DATE="2026-11-01")
    sandbox.add_fault(path, kind, times=1000, code=10002, message="backend unavailable")
    result = cli("run", "--sources", source)
    assert result.code == 4, result.output
    assert "Cloudflare: still failing" in result.stdout
    assert ("success: false (code 10002: backend unavailable)" if kind == "success_false"
            else "result: null") in result.stdout
    status = cli("status", "--sources", source)
    assert "loaded through" not in status.stdout, status.stdout
    sandbox.clear_faults()
    assert cli("run", "--sources", source).code == 0


def test_a_failed_envelope_that_clears_is_retried_and_everything_loads(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    sandbox.add_fault(r"/billable/usage$", "success_false", times=2)
    sandbox.add_fault(r"/billable/usage$", "null_result", times=2)
    result = cli("backfill", "--start", START, "--end", END, "--sources", "cloudflare_billing")
    assert result.code == 0, result.output
    assert loaded_count(workdir) == served_count(sandbox)

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

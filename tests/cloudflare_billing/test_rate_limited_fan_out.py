"""Cloudflare: requests in flight chosen by the quota the `Ratelimit` header reports, never past it."""

from __future__ import annotations

from datetime import date

from pipelines.sandbox import Sandbox
from tests.conftest import TODAY, point_at, query


def test_in_flight_grows_past_four_when_the_quota_allows(cli, workdir, monkeypatch):
    with Sandbox(seed=7, accounts=6, metrics=4, days=200, today=TODAY, latency_ms=150) as sb:
        point_at(monkeypatch, sb, venice=False)
        result = cli("backfill", "--start", "2026-05-01", "--end", "2026-11-19", "--sources", "cloudflare_billing")
        assert result.code == 0, result.output
        peak = sb.in_flight.peak
    assert peak > 4  # the old fixed fan-out was 4


def test_a_small_rate_limit_is_never_crossed(cli, workdir, monkeypatch):
    with Sandbox(seed=7, accounts=3, metrics=4, days=400, today=TODAY, rate_limit="30/10", latency_ms=20) as sb:
        point_at(monkeypatch, sb, venice=False)
        result = cli("backfill", "--start", "2025-10-20", "--end", "2026-11-19", "--sources", "cloudflare_billing")
        assert result.code == 0, result.output
        served = [r for r in sb.requests if r["api"] == "cloudflare_billing"]
        expected = sum(len(sb.expected_cloudflare_records(a, date(2025, 10, 20), date(2026, 11, 19)))
                       for a in sb.account_ids)
    assert len(served) > 30  # past one window of the limit
    assert [r["status"] for r in served if r["status"] == 429] == []
    assert query(workdir, "SELECT count(*) FROM finops.cloudflare_billable_usage")[0][0] == expected

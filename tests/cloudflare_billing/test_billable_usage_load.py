"""Cloudflare billable usage through the real CLI, the sandbox over HTTP, and a DuckDB file."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from conftest import CLOUDFLARE_TOKEN, TODAY, point_at, query

ROWS_SQL = ("SELECT queried_account_id, billing_account_id, charge_period_start::DATE, x_billable_metric_id, x_zone_id, charge_class, "
            "billed_cost, consumed_quantity FROM finops.cloudflare_billable_usage ORDER BY ALL")


def served(sb, start: date, end: date) -> list[tuple]:
    rows = []
    for account in sb.account_ids:
        for r in sb.expected_cloudflare_records(account, start, end):
            cost = r.get("BilledCost")
            rows.append((account, r.get("BillingAccountId"), date.fromisoformat(r["ChargePeriodStart"][:10]),
                         r.get("x_BillableMetricId"), r.get("x_ZoneId"), r.get("ChargeClass"),
                         None if cost is None else Decimal(str(cost)).quantize(Decimal("1e-10")),
                         Decimal(str(r["ConsumedQuantity"])).quantize(Decimal("1e-10"))))
    return sorted(rows, key=lambda row: tuple("" if v is None else str(v) for v in row))


def loaded(workdir) -> list[tuple]:
    rows = query(workdir, ROWS_SQL)
    return sorted(rows, key=lambda row: tuple("" if v is None else str(v) for v in row))


def usage_requests(sb) -> list[dict]:
    return [r for r in sb.requests if r["path"].endswith("/billable/usage")]


def test_backfill_loads_exactly_the_served_records_in_windows_of_at_most_31_days(sandbox, cli, workdir,
                                                                                   monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    result = cli("backfill", "--start", "2026-07-03", "--end", "2026-09-29", "--sources", "cloudflare_billing")
    assert result.code == 0, result.output
    assert loaded(workdir) == served(sandbox, date(2026, 7, 3), date(2026, 9, 29))
    spans = [(date.fromisoformat(r["query"]["to"]) - date.fromisoformat(r["query"]["from"])).days + 1
             for r in usage_requests(sandbox)]
    assert spans and max(spans) <= 31
    assert len(spans) == 3 * 3  # 89 days = 31 + 31 + 27, for each of 3 accounts


def test_backfill_twice_and_overlapping_backfills_add_no_rows(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    assert cli("backfill", "--start", "2026-07-03", "--end", "2026-09-29", "--sources", "cloudflare_billing").code == 0
    first = loaded(workdir)
    assert cli("backfill", "--start", "2026-07-03", "--end", "2026-09-29", "--sources", "cloudflare_billing").code == 0
    assert loaded(workdir) == first
    assert cli("backfill", "--start", "2026-08-15", "--end", "2026-10-10", "--sources", "cloudflare_billing").code == 0
    assert loaded(workdir) == served(sandbox, date(2026, 7, 3), date(2026, 10, 10))
    (dupes,) = query(workdir, "SELECT count(*) - count(DISTINCT record_key) FROM finops.cloudflare_billable_usage")[0]
    assert dupes == 0


def test_only_days_past_everything_loaded_are_appended_and_the_rest_merged(sandbox, cli, workdir, monkeypatch):
    """Appending skips the merge; it must only happen when no planned day can already be in the table."""
    point_at(monkeypatch, sandbox, venice=False)
    appended = "no planned day is loaded yet: appending"
    steps = [("2026-07-03", "2026-07-31", True),    # first load
             ("2026-08-01", "2026-08-20", True),    # strictly past the last loaded day
             ("2026-07-25", "2026-08-25", False),   # overlaps: merge
             ("2026-06-01", "2026-06-10", False),   # before what is loaded: merge (safe, not provable)
             ("2026-08-26", "2026-08-31", True)]
    for start, end, appends in steps:
        result = cli("backfill", "--start", start, "--end", end, "--sources", "cloudflare_billing", "-v")
        assert result.code == 0, result.output
        assert (appended in result.stderr) is appends, (start, end)
    expected = served(sandbox, date(2026, 6, 1), date(2026, 6, 10)) + served(sandbox, date(2026, 7, 3),
                                                                            date(2026, 8, 31))
    assert loaded(workdir) == sorted(expected, key=lambda row: tuple("" if v is None else str(v) for v in row))
    (dupes,) = query(workdir, "SELECT count(*) - count(DISTINCT record_key) FROM finops.cloudflare_billable_usage")[0]
    assert dupes == 0


def test_late_records_are_picked_up_by_the_next_run(sandbox, cli, workdir, monkeypatch):
    start = TODAY - timedelta(days=20)
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__START_DATE=start.isoformat())
    assert cli("run", "--sources", "cloudflare_billing").code == 0
    before = loaded(workdir)
    assert before == served(sandbox, start, TODAY)

    later = TODAY + timedelta(days=3)
    sandbox.set_today(later)
    point_at(monkeypatch, sandbox, venice=False, end_date=later, SOURCES__CLOUDFLARE__START_DATE=start.isoformat())
    sandbox.clear_requests()
    assert cli("run", "--sources", "cloudflare_billing").code == 0
    after = loaded(workdir)
    assert after == served(sandbox, start, later)
    late = set(after) - set(before)
    assert any(row[2] <= TODAY for row in late), "the sandbox serves late records; some must be new"
    # the incremental run re-read a look-back, not the whole history
    assert all(r["query"]["from"] >= (TODAY - timedelta(days=3)).isoformat() for r in usage_requests(sandbox))


def test_absent_costs_stay_null_and_present_costs_are_exact(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    assert cli("backfill", "--start", "2026-10-01", "--end", "2026-10-31", "--sources", "cloudflare_billing").code == 0
    nulls, zeros, total = query(workdir, "SELECT count(*) FILTER (billed_cost IS NULL), "
                                         "count(*) FILTER (billed_cost = 0), count(*) "
                                         "FROM finops.cloudflare_billable_usage")[0]
    expected_absent = sum(1 for a in sandbox.account_ids
                          for r in sandbox.expected_cloudflare_records(a, date(2026, 10, 1), date(2026, 10, 31))
                          if "BilledCost" not in r)
    assert nulls == expected_absent > 0
    assert total > nulls
    types = dict(query(workdir, "SELECT column_name, data_type FROM information_schema.columns WHERE "
                                "table_schema='finops' AND table_name='cloudflare_billable_usage'"))
    assert types["billed_cost"] == "DECIMAL(38,10)"
    assert types["charge_period_start"] == "TIMESTAMP WITH TIME ZONE"
    (corrections,) = query(workdir, "SELECT count(*) FROM finops.cloudflare_billable_usage "
                                    "WHERE charge_class = 'Correction'")[0]
    assert corrections > 0


def test_a_bad_token_exits_3_naming_the_account_and_never_printing_the_token(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    bad = "not-the-token-" + CLOUDFLARE_TOKEN[::-1]
    monkeypatch.setenv("SOURCES__CLOUDFLARE__API_TOKEN", bad)
    result = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-05", "--sources", "cloudflare_billing")
    assert result.code == 3
    assert "SOURCES__CLOUDFLARE__API_TOKEN" in result.output
    assert any(account in result.output for account in sandbox.account_ids)
    assert bad not in result.output and CLOUDFLARE_TOKEN not in result.output


def test_a_429_with_retry_after_is_retried_and_the_run_succeeds(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    sandbox.add_fault(r"/billable/usage$", "rate_limit", times=2, retry_after=1)
    result = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-05", "--sources", "cloudflare_billing")
    assert result.code == 0, result.output
    assert loaded(workdir) == served(sandbox, date(2026, 10, 1), date(2026, 10, 5))
    assert [r["status"] for r in usage_requests(sandbox)].count(429) == 2


def test_a_restricted_account_is_reported_not_covered_while_the_others_load(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    refused = sandbox.account_ids[1]
    sandbox.restricted_accounts.add(refused)
    result = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-05", "--sources", "cloudflare_billing")
    assert result.code == 6, result.output
    assert f"NOT COVERED account {refused}" in result.stdout
    accounts = {a for (a,) in query(workdir, "SELECT DISTINCT queried_account_id FROM finops.cloudflare_billable_usage")}
    assert accounts == set(sandbox.account_ids) - {refused}
    status = cli("status", "--sources", "cloudflare_billing")
    assert status.code == 0 and "NOT COVERED" in status.stdout and refused in status.stdout


def test_a_nothing_new_run_asks_once_per_account(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__START_DATE="2026-11-01")
    assert cli("run", "--sources", "cloudflare_billing").code == 0
    sandbox.clear_requests()
    assert cli("run", "--sources", "cloudflare_billing").code == 0
    assert len(usage_requests(sandbox)) == len(sandbox.account_ids)


def test_the_metric_filter_loads_only_that_metric(sandbox, cli, workdir, monkeypatch):
    metric = sandbox.expected_cloudflare_records(sandbox.account_ids[0], date(2026, 10, 1),
                                                 date(2026, 10, 1))[0]["x_BillableMetricId"]
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__METRIC=metric)
    assert cli("backfill", "--start", "2026-10-01", "--end", "2026-10-03", "--sources", "cloudflare_billing").code == 0
    assert {m for (m,) in query(workdir, "SELECT DISTINCT x_billable_metric_id FROM "
                                         "finops.cloudflare_billable_usage")} == {metric}

"""Billable usage as the SDK's schema allows it: floats, contract-level records, renamed metrics, huge numbers."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import httpx
import orjson

from conftest import TODAY, point_at, query
from sources.cloudflare_api import pacing
from sources.cloudflare_billing.settings import CHARGE_KEY_PARTS

TENTH_NANO = Decimal("1e-10")


def served_exact(sb, start: date, end: date) -> list[dict]:
    """Every record each account serves, its numbers parsed exactly (no float)."""
    records = []
    for account in sb.account_ids:
        body = sb.cloudflare.result_json(account, start, end, sb.today)
        records += [dict(r, queried=account) for r in json.loads(body, parse_float=Decimal)]
    return records


def rounded(value) -> Decimal:
    return Decimal(value).quantize(TENTH_NANO, rounding=ROUND_HALF_EVEN)


def summary(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])["sources"][0]


def backfill(cli, start: str, end: str):
    return cli("backfill", "--start", start, "--end", end, "--sources", "cloudflare_billing", "--log-format", "json")


def test_float_encoded_costs_load_rounded_half_even_with_exact_sums_and_nothing_quarantined(
        sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    result = backfill(cli, "2026-10-01", "2026-10-31")
    assert result.code == 0, result.output
    assert summary(result)["rows_rejected"] == 0
    records = served_exact(sandbox, date(2026, 10, 1), date(2026, 10, 31))
    long_ones = [r for r in records if -Decimal(r.get("BilledCost", 0)).as_tuple().exponent > 10]
    assert long_ones, "the sandbox serves float64 costs with long expansions"
    expected = (len(records), sum(rounded(r["BilledCost"]) for r in records if "BilledCost" in r),
                sum(rounded(r["ListCost"]) for r in records if "ListCost" in r),
                sum(rounded(r["ConsumedQuantity"]) for r in records))
    assert query(workdir, "SELECT count(*), sum(billed_cost), sum(list_cost), sum(consumed_quantity) "
                          "FROM finops.cloudflare_billable_usage")[0] == expected


def test_a_contract_level_record_is_kept_per_queried_account_under_one_charge_key(sandbox, cli, workdir,
                                                                                   monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    result = backfill(cli, "2026-10-01", "2026-10-07")
    assert result.code == 0, result.output
    assert summary(result)["rows_rejected"] == 0
    contract = [r for r in served_exact(sandbox, date(2026, 10, 1), date(2026, 10, 7)) if "BillingAccountId" not in r]
    assert contract and len(contract) % len(sandbox.account_ids) == 0
    rows, accounts, charges, dupes = query(workdir, """
        SELECT count(*), count(DISTINCT queried_account_id), count(DISTINCT charge_key),
               count(*) - count(DISTINCT record_key)
        FROM finops.cloudflare_billable_usage WHERE billing_account_id IS NULL""")[0]
    assert (rows, accounts, charges, dupes) == (len(contract), len(sandbox.account_ids),
                                                len(contract) // len(sandbox.account_ids), 0)
    # counted once when keyed on charge_key, as cost_and_usage is to be
    (once,) = query(workdir, "SELECT sum(billed_cost) FROM (SELECT DISTINCT charge_key, billed_cost FROM "
                             "finops.cloudflare_billable_usage WHERE billing_account_id IS NULL)")[0]
    per_contract = {}
    for r in contract:
        per_contract.setdefault(tuple(str(r.get(k)) for k in ("ChargePeriodStart", "x_BillableMetricId")),
                                rounded(r.get("BilledCost", 0)))
    assert once == sum(per_contract.values())


def test_a_metric_renamed_between_two_runs_is_not_loaded_twice(sandbox, cli, workdir, monkeypatch):
    start = TODAY - timedelta(days=10)
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__START_DATE=start.isoformat())
    assert cli("run", "--sources", "cloudflare_billing").code == 0
    before = query(workdir, "SELECT count(*) FROM finops.cloudflare_billable_usage")[0][0]
    sandbox.set_today(TODAY + timedelta(days=1))  # the sandbox renames a metric from this day on
    point_at(monkeypatch, sandbox, venice=False, end_date=TODAY + timedelta(days=1),
             SOURCES__CLOUDFLARE__START_DATE=start.isoformat())
    assert cli("run", "--sources", "cloudflare_billing").code == 0
    names = {n for (n,) in query(workdir, "SELECT DISTINCT x_billable_metric_name FROM "
                                          "finops.cloudflare_billable_usage WHERE x_billable_metric_id = "
                                          "'workers_standard_requests'")}
    assert names == {"Workers Standard Requests", "Workers Requests (Standard)"}  # old days keep the old name
    served = served_exact(sandbox, start, TODAY + timedelta(days=1))
    rows, keys = query(workdir, "SELECT count(*), count(DISTINCT record_key) FROM finops.cloudflare_billable_usage")[0]
    assert rows == keys == len(served) > before


def test_keys_hold_ids_only(sandbox):
    assert "x_billable_metric_name" not in CHARGE_KEY_PARTS
    assert set(CHARGE_KEY_PARTS) == {"billing_account_id", "charge_period_start", "x_billable_metric_id",
                                     "x_zone_id", "sub_account_id", "region_id", "charge_class"}


def test_one_out_of_range_number_quarantines_only_its_record(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    account = sandbox.account_ids[0]
    good = sandbox.expected_cloudflare_records(account, date(2026, 10, 2), date(2026, 10, 2))[0]
    sandbox.add_raw_cloudflare_record(account, date(2026, 10, 2), dict(
        good, x_BillableMetricId="huge_metric", ConsumedQuantity=orjson.Fragment(b"1e400")))
    sandbox.add_raw_cloudflare_record(account, date(2026, 10, 3), dict(
        good, x_BillableMetricId="wide_metric", BilledCost=orjson.Fragment(b"1" * 45)))
    sandbox.add_raw_cloudflare_record(account, date(2026, 10, 3), dict(
        good, x_BillableMetricId="tiny_metric", BilledCost=orjson.Fragment(b"5e-50")))
    result = backfill(cli, "2026-10-01", "2026-10-05")
    assert result.code == 0, result.output
    assert summary(result)["rows_rejected"] == 2
    reasons = [r for (r,) in query(workdir, "SELECT payload FROM finops._rejected_records ORDER BY payload")]
    assert any("huge_metric" in r for r in reasons) and any("wide_metric" in r for r in reasons)
    served = len(served_exact(sandbox, date(2026, 10, 1), date(2026, 10, 5))) - 2
    assert query(workdir, "SELECT count(*) FROM finops.cloudflare_billable_usage")[0][0] == served
    assert query(workdir, "SELECT billed_cost FROM finops.cloudflare_billable_usage "
                          "WHERE x_billable_metric_id = 'tiny_metric'")[0][0] == 0


def test_the_metric_setting_filters_locally_and_sends_what_the_sdk_sends(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__METRIC="r2_storage_standard")
    assert cli("backfill", "--start", "2026-10-01", "--end", "2026-10-03", "--sources", "cloudflare_billing").code == 0
    assert {m for (m,) in query(workdir, "SELECT DISTINCT x_billable_metric_id FROM "
                                         "finops.cloudflare_billable_usage")} == {"r2_storage_standard"}
    assert all(set(r["query"]) == {"from", "to"} for r in sandbox.requests if r["path"].endswith("/billable/usage"))


def test_pacing_takes_the_ratelimit_item_with_the_fewest_requests_left():
    several = httpx.Response(200, headers={"Ratelimit": '"default";r=900;t=250, "burst";r=3;t=7'})
    assert pacing(several) == 7.0
    assert pacing(httpx.Response(200, headers={"Ratelimit": '"default";r=900;t=250'})) is None

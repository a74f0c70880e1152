"""The FOCUS table and rollups: totals to the cent against the raw tables, and hand-computed rollups."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import duckdb
import pytest

from conftest import point_at, query

CENT = Decimal("0.01")
# One copy per Cloudflare charge: a contract-level record comes back from every account asked (the sandbox
# serves some), under one charge_key; cost_and_usage counts it once.
CHARGES = """(SELECT * FROM finops.cloudflare_billable_usage
    QUALIFY row_number() OVER (PARTITION BY charge_key ORDER BY _dlt_load_id DESC, queried_account_id) = 1)"""


@pytest.fixture
def loaded_all(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox)
    result = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-07")
    assert result.code == 0, result.output
    return sandbox


def venice_usd(sb) -> Decimal:
    total = Decimal(0)
    for c in sb.expected_venice_charges(datetime(2026, 10, 1, tzinfo=timezone.utc),
                                        datetime(2026, 10, 8, tzinfo=timezone.utc)):
        if c["currency"] == "USD":
            total += abs(Decimal(str(c["amount"])))
        else:
            total += abs(Decimal(str(c["units"])) * Decimal(str(c["pricePerUnitUsd"])))
    return total


def test_totals_per_provider_equal_the_raw_tables_to_the_cent(loaded_all, workdir):
    totals = dict(query(workdir, "SELECT x_source, sum(billed_cost) FROM finops.cost_and_usage GROUP BY 1"))
    (cf_billed,) = query(workdir, f"SELECT sum(billed_cost) FROM {CHARGES}")[0]
    (cf_estimated,) = query(workdir, f"""SELECT sum(u.consumed_quantity * p.list_unit_price_usd::DECIMAL(38,10))
        FROM {CHARGES} u JOIN read_csv('{SHEET}') p USING (x_billable_metric_id) WHERE u.billed_cost IS NULL""")[0]
    assert totals["cloudflare_billable_usage"].quantize(CENT) == (cf_billed + cf_estimated).quantize(CENT)
    (gateway_cents,) = query(workdir, "SELECT sum(aggregated_value) FROM finops.ai_gateway_usage_history "
                                      "WHERE value_grouping_window = 'day'")[0]
    assert totals["ai_gateway_usage_history"].quantize(CENT) == (gateway_cents / 100).quantize(CENT)
    assert totals["venice_billing_usage"].quantize(CENT) == venice_usd(loaded_all).quantize(CENT)


def test_a_contract_level_record_is_counted_once_and_has_an_account(loaded_all, workdir):
    copies, charges = query(workdir, "SELECT count(*), count(DISTINCT charge_key) FROM finops.cloudflare_billable_usage "
                                     "WHERE billing_account_id IS NULL")[0]
    assert copies == 3 * charges > 0  # the sandbox's three accounts each return every contract-level record
    rows, accounts = query(workdir, f"""SELECT count(*), count(DISTINCT f.billing_account_id)
        FROM finops.cost_and_usage f JOIN {CHARGES} r ON f.x_source_key = r.charge_key
        WHERE f.x_source = 'cloudflare_billable_usage' AND r.billing_account_id IS NULL""")[0]
    assert rows == charges and accounts == 1  # once each, attributed to the lowest account id that returned it
    assert query(workdir, "SELECT count(*) FROM finops.cost_and_usage WHERE billing_account_id IS NULL") == [(0,)]


def test_every_cloudflare_row_says_how_its_cost_was_found(loaded_all, workdir):
    statuses = dict(query(workdir, "SELECT x_cost_status, count(*) FROM finops.cost_and_usage "
                                   "WHERE x_source = 'cloudflare_billable_usage' GROUP BY 1"))
    (absent,) = query(workdir, f"SELECT count(*) FROM {CHARGES} WHERE billed_cost IS NULL")[0]
    assert statuses["estimated"] + statuses.get("unpriced", 0) == absent > 0
    assert statuses["billed"] > 0
    mandatory = ["billed_cost", "effective_cost", "list_cost", "contracted_cost", "billing_currency",
                 "charge_period_start", "charge_period_end", "billing_period_start", "billing_period_end",
                 "charge_category", "charge_frequency", "charge_description", "service_provider_name",
                 "host_provider_name", "invoice_issuer_name", "billing_account_id", "billing_account_name",
                 "service_name", "service_category", "x_source"]
    nulls = query(workdir, "SELECT " + ", ".join(f"count(*) FILTER ({c} IS NULL)" for c in mandatory)
                  + " FROM finops.cost_and_usage")[0]
    assert dict(zip(mandatory, nulls, strict=False)) == dict.fromkeys(mandatory, 0)


def test_ai_gateway_counts_only_the_day_grain(loaded_all, workdir):
    (rows,) = query(workdir, "SELECT count(*) FROM finops.cost_and_usage WHERE x_source = 'ai_gateway_usage_history'")[0]
    (days,) = query(workdir, "SELECT count(*) FROM finops.ai_gateway_usage_history WHERE value_grouping_window='day'")[0]
    assert rows == days > 0


def test_venice_rolls_up_per_hour_sku_and_currency_with_tokens_summed(loaded_all, workdir):
    (groups, tokens_in) = query(workdir, "SELECT count(*), sum(x_prompt_tokens) FROM finops.cost_and_usage "
                                         "WHERE x_source = 'venice_billing_usage'")[0]
    (expected_groups, raw_in) = query(workdir, "SELECT count(DISTINCT (date_trunc('hour', timestamp), sku, currency)), "
                                               "sum(prompt_tokens) FROM finops.venice_billing_usage")[0]
    assert groups == expected_groups > 0 and tokens_in == raw_in > 0
    per_model = query(workdir, "SELECT sum(tokens_in), sum(billed_cost) FROM finops.ai_token_costs")[0]
    assert per_model[0] == raw_in


def test_a_restated_day_shows_up_in_cost_restatements(loaded_all, cli, workdir):
    sb = loaded_all
    account = sb.account_ids[0]
    sb.restate(account, date(2026, 10, 3), Decimal(2))
    assert cli("backfill", "--start", "2026-10-03", "--end", "2026-10-03", "--sources", "cloudflare_billing").code == 0
    rows = query(workdir, "SELECT billing_account_id, charge_period_start::DATE, old_billed_cost, new_billed_cost, "
                          "old_load_id <> new_load_id FROM finops.cost_restatements")
    assert rows and all(r[0] == account and r[1] == date(2026, 10, 3) for r in rows)
    assert all(abs(r[3] - 2 * r[2]) <= Decimal("0.000002") and r[4] for r in rows if r[2] is not None)
    assert cli("transform").code == 0  # nothing moved since: no new restatement
    assert len(query(workdir, "SELECT * FROM finops.cost_restatements")) == len(rows)


def test_an_incremental_build_equals_a_full_rebuild(loaded_all, cli, workdir):
    """Later loads that replace rows (overlap, a restated day, late Venice charges in known hours) and add
    new ones are taken in by key: the table ends exactly as a build from scratch would make it."""
    sb = loaded_all
    sb.restate(sb.account_ids[1], date(2026, 10, 6), Decimal(3))
    result = cli("backfill", "--start", "2026-10-06", "--end", "2026-10-09", "-v")
    assert result.code == 0, result.output
    assert "transform cost_and_usage: incremental:" in result.stderr, result.stderr[-3000:]
    assert "incremental: 0 rows" not in result.stderr
    every_row = "SELECT * FROM finops.cost_and_usage ORDER BY x_source, x_source_key"
    incremental = query(workdir, every_row)
    (keys,) = query(workdir, "SELECT count(DISTINCT (x_source, x_source_key)) FROM finops.cost_and_usage")[0]
    assert len(incremental) == keys
    assert {r[0] for r in query(workdir, "SELECT DISTINCT charge_period_start::DATE FROM finops.cost_and_usage "
                                         "WHERE charge_period_start >= '2026-10-08'")} == {date(2026, 10, 8),
                                                                                          date(2026, 10, 9)}
    result = cli("transform", "--full-refresh", "-v")
    assert result.code == 0 and "transform cost_and_usage: full build" in result.stderr
    assert query(workdir, every_row) == incremental


def test_a_new_price_sheet_reprices_the_estimated_rows(loaded_all, cli, workdir, monkeypatch):
    """The sheet is part of what cost_and_usage was built from: changing it rebuilds the table whole."""
    (metric, quantity) = query(workdir, "SELECT x_billable_metric_id, sum(consumed_quantity) FROM finops.cost_and_usage "
                                        "WHERE x_cost_status = 'estimated' GROUP BY 1 ORDER BY 1 LIMIT 1")[0]
    sheet = workdir / "our_prices.csv"
    sheet.write_text(f"x_billable_metric_id,list_unit_price_usd\n{metric},0.5\n")
    monkeypatch.setenv("SOURCES__CLOUDFLARE__PRICE_SHEET", str(sheet))
    result = cli("transform", "-v")
    assert result.code == 0 and "transform cost_and_usage: full build" in result.stderr
    (billed,) = query(workdir, "SELECT sum(billed_cost) FROM finops.cost_and_usage WHERE x_cost_status = 'estimated' "
                               f"AND x_billable_metric_id = '{metric}'")[0]
    assert billed == quantity * Decimal("0.5")
    (others,) = query(workdir, "SELECT count(*) FROM finops.cost_and_usage WHERE x_cost_status = 'estimated' "
                               f"AND x_billable_metric_id <> '{metric}'")[0]
    assert others == 0  # metrics the new sheet does not know are unpriced now


def hand_made_daily(workdir, costs: dict[str, list[float | None]]) -> None:
    """A warehouse whose only data is Cloudflare usage with the given daily cost series per family, from
    2026-11-01 (None: no usage that day)."""
    with duckdb.connect(str(workdir / "finops_etl.duckdb")) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS finops")
        con.execute(f"CREATE TABLE finops.cloudflare_billable_usage AS SELECT * FROM {STAND_IN}")
        for family, series in costs.items():
            for i, cost in enumerate(series):
                if cost is None:
                    continue
                con.execute("""INSERT INTO finops.cloudflare_billable_usage (billing_account_id, charge_period_start,
                    charge_period_end, billed_cost, x_product_family_name, x_billable_metric_name, record_key,
                    _dlt_load_id) VALUES ('acct', TIMESTAMPTZ '2026-11-01 00:00:00+00' + to_days(?),
                    TIMESTAMPTZ '2026-11-02 00:00:00+00' + to_days(?), ?, ?, ?, ?, 'hand')""",
                            [i, i, cost, family, family, f"{family}{i}"])


def hand_made_venice(workdir, usd_per_day: list[float]) -> None:
    """Venice USD charges beside hand_made_daily's data, one a day from 2026-11-01."""
    with duckdb.connect(str(workdir / "finops_etl.duckdb")) as con:
        con.execute(f"CREATE TABLE finops.venice_billing_usage AS SELECT * FROM {_declared_columns('venice_billing_usage')}")
        for i, usd in enumerate(usd_per_day):
            con.execute("""INSERT INTO finops.venice_billing_usage (timestamp, sku, currency, units, amount,
                price_per_unit_usd, record_key, _dlt_load_id) VALUES (TIMESTAMPTZ '2026-11-01 12:00:00+00' + to_days(?),
                'llama-mtoken', 'USD', 1, ?, ?, ?, 'hand')""", [i, -usd, usd, f"venice{i}"])


def test_cost_anomalies_flag_a_jump_against_the_trailing_median_and_mad(cli, workdir):
    steady = [100, 102, 98, 101, 99, 100, 103, 97, 100, 101, 99, 100, 102, 98]
    hand_made_daily(workdir, {"Workers": steady + [400, 101], "R2": [50] * 16})
    assert cli("transform").code == 0, "transform failed"
    rows = query(workdir, "SELECT day, service_name, cost, median_cost, mad, jump FROM finops.cost_anomalies")
    # the 14 days before day 15: median 100; |x - 100| sorted = 0,0,0,0,1,1,1,1,2,2,2,2,3,3 -> MAD 1
    assert rows == [(date(2026, 11, 15), "Workers", Decimal("400"), Decimal("100"), Decimal("1"), Decimal("300"))]


def test_month_to_date_forecast_projects_the_daily_run_rate(cli, workdir):
    hand_made_daily(workdir, {"Workers": [10] * 10})
    assert cli("transform").code == 0
    rows = query(workdir, "SELECT provider, month, as_of_day, days_elapsed, days_in_month, mtd_cost, "
                          "projected_month_end_cost FROM finops.month_to_date_forecast")
    assert rows == [("Cloudflare", date(2026, 11, 1), date(2026, 11, 10), 10, 30, Decimal("100"), Decimal("300"))]


def test_monthly_costs_show_month_over_month_change(cli, workdir):
    hand_made_daily(workdir, {"Workers": [1] * 45})  # 30 days of November, 15 of December
    assert cli("transform").code == 0
    rows = query(workdir, "SELECT month, billed_cost, previous_billed_cost, month_over_month_change, "
                          "month_over_month_pct FROM finops.monthly_costs ORDER BY month")
    assert rows == [(date(2026, 11, 1), Decimal(30), None, None, None),
                    (date(2026, 12, 1), Decimal(15), Decimal(30), Decimal(-15), Decimal("-50.00"))]


# month_to_date_pct is a DOUBLE on DuckDB (a quotient of decimals), as month_over_month_pct is
MONTH_TO_DATE = ("SELECT month, service_name, as_of_day, previous_month_as_of_day, billed_cost, "
                 "previous_month_same_days_billed_cost, month_to_date_change, month_to_date_pct, "
                 "month_over_month_change FROM finops.monthly_costs ORDER BY month, service_name")


def test_monthly_costs_compare_the_month_so_far_with_the_same_days_of_the_month_before(cli, workdir):
    # Cloudflare has data through December 15. R2 was last used on December 2 and D1 on December 1: they are
    # still compared through the 15th (their provider's latest day), not through their own last day. Venice is
    # loaded through December 10 only: it is compared through the 10th.
    hand_made_daily(workdir, {"Workers": [1] * 45, "R2": [5 if i == 2 else 7 if i == 31 else None for i in range(45)],
                              "D1": [4 if i == 19 else 2 if i == 30 else None for i in range(45)]})
    hand_made_venice(workdir, [3] * 40)
    assert cli("transform").code == 0
    nov, dec, oct_end, nov_15 = date(2026, 11, 1), date(2026, 12, 1), date(2026, 10, 31), date(2026, 11, 15)
    nov_end, dec_15 = date(2026, 11, 30), date(2026, 12, 15)
    assert query(workdir, MONTH_TO_DATE) == [
        (nov, "D1", nov_end, oct_end, 4, None, None, None, None),
        (nov, "R2", nov_end, oct_end, 5, None, None, None, None),
        (nov, "Venice API", nov_end, oct_end, 90, None, None, None, None),
        (nov, "Workers", nov_end, oct_end, 30, None, None, None, None),
        # D1's November cost came after the 15th: 0 on the same days (not NULL: November had D1), no percentage
        (dec, "D1", dec_15, nov_15, 2, 0, 2, None, -2),
        (dec, "R2", dec_15, nov_15, 7, 5, 2, 40.0, 2),
        (dec, "Venice API", date(2026, 12, 10), date(2026, 11, 10), 30, 30, 0, 0.0, -60),
        # December 1-15 against November 1-15: no change, where the whole of November says -50%
        (dec, "Workers", dec_15, nov_15, 15, 15, 0, 0.0, -15)]


def test_a_shorter_month_before_is_clamped_and_complete_months_compare_whole_months(cli, workdir):
    hand_made_daily(workdir, {"Workers": [1] * 150})  # 2026-11-01 through 2027-03-30
    assert cli("transform").code == 0
    assert [row[:8] for row in query(workdir, MONTH_TO_DATE)] == [
        (date(2026, 11, 1), "Workers", date(2026, 11, 30), date(2026, 10, 31), 30, None, None, None),
        (date(2026, 12, 1), "Workers", date(2026, 12, 31), date(2026, 11, 30), 31, 30, 1, 3.33),
        (date(2027, 1, 1), "Workers", date(2027, 1, 31), date(2026, 12, 31), 31, 31, 0, 0.0),
        # complete: the whole of January (31 days), not its first 28
        (date(2027, 2, 1), "Workers", date(2027, 2, 28), date(2027, 1, 31), 28, 31, -3, -9.68),
        # March 1-30 against all of February, which ends on the 28th
        (date(2027, 3, 1), "Workers", date(2027, 3, 30), date(2027, 2, 28), 30, 28, 2, 7.14)]
    past = query(workdir, "SELECT month_to_date_change IS NOT DISTINCT FROM month_over_month_change "
                          "FROM finops.monthly_costs WHERE month < DATE '2027-03-01'")
    assert past == [(True,)] * 4


def _declared_columns(table: str) -> str:
    """An empty SELECT with the columns our dbt sources declare for a raw table."""
    import yaml

    from pipelines.transform import project_dir

    spec = yaml.safe_load((project_dir() / "models" / "staging" / "_finops__sources.yml").read_text())
    (columns,) = [t["columns"] for t in spec["sources"][0]["tables"] if t["name"] == table]
    return "(SELECT " + ", ".join(f"CAST(NULL AS {c['data_type']}) AS {c['name']}" for c in columns) + " WHERE false)"


STAND_IN = _declared_columns("cloudflare_billable_usage")
SHEET = str(__import__("importlib.resources").resources.files("transforms") / "seeds" / "cloudflare_list_prices.csv")

"""Cron runs and their look-back re-reads, through the real CLI and the sandbox: a run with nothing new loads
nothing and starts no transform; a run after new data loads the days that changed, and the warehouse ends up
exactly as a fresh load of the same range would."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from conftest import TODAY, point_at, query

RAW = {  # each raw table and the columns that say what a row is (the load's own columns left out)
    # (not the display name: a rename reaches days before the look-back only in a fresh load)
    "cloudflare_billable_usage": "record_key, billed_cost, consumed_quantity, charge_period_start",
    "ai_gateway_usage_history": "account_id, value_grouping_window, id, start_time, aggregated_value",
    "venice_billing_usage": "record_key, amount, units",
}


def summary(result) -> dict[str, dict]:
    assert result.code == 0, result.output
    return {s["source"]: s for s in json.loads(result.stdout.strip().splitlines()[-1])["sources"]}


def rows(workdir, table: str) -> Counter:
    return Counter(query(workdir, f"SELECT {RAW[table]} FROM finops.{table}"))


def test_a_run_with_nothing_new_loads_nothing_and_starts_no_transform(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox)
    summary(cli("run", "--log-format", "json"))
    loads = query(workdir, "SELECT count(*) FROM finops._dlt_loads")[0][0]
    built = query(workdir, "SELECT count(*), sum(billed_cost) FROM finops.cost_and_usage")[0]
    sandbox.clear_requests()

    again = cli("run", "-v", "--log-format", "json")
    assert "dbt not started" in again.stderr
    assert {name: s["rows_loaded"] for name, s in summary(again).items() if s["result"] == "ok"} == {
        "cloudflare_billing": 0, "ai_gateway": 0, "venice": 0}
    assert query(workdir, "SELECT count(*) FROM finops._dlt_loads")[0][0] == loads  # not even a state load
    assert query(workdir, "SELECT count(*), sum(billed_cost) FROM finops.cost_and_usage")[0] == built
    # one request per source, account and endpoint (the look-back is one window); Venice pages 1,000 charges
    per_api = Counter(r["api"] for r in sandbox.requests if r["api"] != "control")
    accounts = len(sandbox.account_ids)
    lookback_start = (TODAY - timedelta(days=2)).isoformat()  # midnight of (mark = end of TODAY) - 3 days
    (charges,) = query(workdir, f"SELECT count(*) FROM finops.venice_billing_usage "
                                f"WHERE timestamp >= '{lookback_start}'")[0]
    assert per_api == {"cloudflare_billing": accounts, "ai_gateway": 2 * accounts, "spending_limit": accounts,
                       "venice": -(-charges // 1000)}
    history = query(workdir, "SELECT source, result, rows_loaded FROM finops._run_history "
                             "WHERE started_at = (SELECT max(started_at) FROM finops._run_history)")
    assert sorted(history) == [("ai_gateway", "ok", 0), ("cloudflare_billing", "ok", 0),
                               ("focus_files", "skipped", 0), ("venice", "ok", 0)]


def test_the_next_day_loads_what_changed_and_ends_where_a_fresh_load_would(sandbox, cli, workdir, monkeypatch):
    start = (TODAY - timedelta(days=20)).isoformat()
    point_at(monkeypatch, sandbox, SOURCES__CLOUDFLARE__START_DATE=start, SOURCES__VENICE__START_DATE=start)
    summary(cli("run", "--log-format", "json"))
    first_loads = {table: query(workdir, f"SELECT count(*) FROM finops.{table}")[0][0] for table in RAW}

    tomorrow = TODAY + timedelta(days=1)  # a day passes: its records, late ones for earlier days, new charges
    sandbox.set_today(tomorrow)
    point_at(monkeypatch, sandbox, end_date=tomorrow, SOURCES__CLOUDFLARE__START_DATE=start,
             SOURCES__VENICE__START_DATE=start)
    second = summary(cli("run", "--log-format", "json"))
    assert all(second[name]["rows_loaded"] > 0 for name in ("cloudflare_billing", "ai_gateway", "venice"))
    # unchanged look-back days were not loaded again. (Cloudflare's are all reloaded here: the sandbox renames
    # a metric on every day it serves from tomorrow on, as Cloudflare does.)
    recent = (TODAY - timedelta(days=2)).isoformat()
    for name, table, column in (("ai_gateway", "ai_gateway_usage_history", "start_time"),
                                ("venice", "venice_billing_usage", "timestamp")):
        (reread,) = query(workdir, f"SELECT count(*) FROM finops.{table} WHERE {column} >= '{recent}'")[0]
        assert 0 < second[name]["rows_loaded"] < reread, name
    incremental = {table: rows(workdir, table) for table in RAW}
    assert all(sum(incremental[t].values()) >= first_loads[t] for t in RAW)

    fresh = workdir / "fresh"  # the same range in one load, into a warehouse of its own
    monkeypatch.setenv("DLT_DATA_DIR", str(fresh / "dlt"))
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(fresh / "finops_etl.duckdb"))
    summary(cli("run", "--log-format", "json"))
    for table in RAW:
        assert incremental[table] == rows(fresh, table), table
    totals = "SELECT x_source, sum(billed_cost) FROM finops.cost_and_usage GROUP BY 1 ORDER BY 1"
    assert query(workdir, totals) == query(fresh, totals)

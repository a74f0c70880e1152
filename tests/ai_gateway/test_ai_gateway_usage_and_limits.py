"""AI Gateway: both grains, the limit's history, `spending-limit set|clear`, and spend_vs_limit."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import duckdb

from conftest import point_at, query

LO = int(datetime(2026, 10, 1, tzinfo=timezone.utc).timestamp() * 1000)
HI = int(datetime(2026, 10, 15, tzinfo=timezone.utc).timestamp() * 1000)


def served(sb, grain: str) -> list[tuple]:
    return sorted((a, grain, b["id"], datetime.fromtimestamp(b["start_time"] / 1000, timezone.utc),
                   Decimal(repr(b["aggregated_value"])).quantize(Decimal("1e-10")))
                  for a in sb.account_ids for b in sb.expected_ai_gateway_buckets(a, grain, LO, HI))


def loaded(workdir, grain: str) -> list[tuple]:
    return sorted(query(workdir, "SELECT account_id, value_grouping_window, id, start_time, aggregated_value "
                                 f"FROM finops.ai_gateway_usage_history WHERE value_grouping_window = '{grain}'"))


def test_backfill_loads_exactly_the_served_hour_and_day_buckets_and_a_rerun_adds_none(sandbox, cli, workdir,
                                                                                     monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    for _ in range(2):
        result = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-14", "--sources", "ai_gateway")
        assert result.code == 0, result.output
        assert loaded(workdir, "hour") == served(sandbox, "hour")
        assert loaded(workdir, "day") == served(sandbox, "day")
    assert len(served(sandbox, "hour")) == 3 * 3 * 14 * 24
    # the same meter id repeats in every bucket: all kept, keyed with the bucket start
    (ids,) = query(workdir, "SELECT count(DISTINCT id) FROM finops.ai_gateway_usage_history")[0]
    assert ids == 3
    queries = [r["query"] for r in sandbox.requests if r["api"] == "ai_gateway"]
    assert {q["value_grouping_window"] for q in queries} == {"hour", "day"}
    assert all(q["start_time"].isdigit() and len(q["start_time"]) == 13 for q in queries)  # Unix ms


def test_a_limit_change_adds_exactly_one_history_row(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__START_DATE="2026-11-18")
    assert cli("run", "--sources", "ai_gateway").code == 0
    assert cli("run", "--sources", "ai_gateway").code == 0
    assert query(workdir, "SELECT count(*) FROM finops.ai_gateway_spending_limits")[0][0] == 3
    account = sandbox.account_ids[0]
    sandbox.set_spending_limit(account, True, 55555, "weekly", "sliding")
    assert cli("run", "--sources", "ai_gateway").code == 0
    rows = query(workdir, "SELECT amount, duration, strategy, valid_to IS NULL FROM finops.ai_gateway_spending_limits "
                          f"WHERE account_id = '{account}' ORDER BY valid_from")
    assert rows == [(10000, "monthly", "fixed", False), (55555, "weekly", "sliding", True)]
    assert query(workdir, "SELECT count(*) FROM finops.ai_gateway_spending_limits")[0][0] == 4


def test_invalid_set_input_exits_2_and_sends_nothing(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    for args, field in ((["--amount", "50", "--duration", "daily", "--strategy", "fixed"], "--amount"),
                        (["--amount", "100.5", "--duration", "daily", "--strategy", "fixed"], "--amount"),
                        (["--amount", "500", "--duration", "hourly", "--strategy", "fixed"], "daily, weekly, monthly"),
                        (["--amount", "500", "--duration", "daily", "--strategy", "greedy"], "fixed, sliding")):
        result = cli("spending-limit", "set", *args)
        assert result.code == 2 and field in result.stderr
    assert sandbox.requests == []


def test_a_valid_set_round_trips_into_the_history(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    account = sandbox.account_ids[2]
    dry = cli("spending-limit", "set", "--amount", "25000", "--duration", "weekly", "--strategy", "fixed",
              "--account", account, "--dry-run")
    assert dry.code == 0 and '"amount": 25000' in dry.stdout and sandbox.requests == []
    result = cli("spending-limit", "set", "--amount", "25000", "--duration", "weekly", "--strategy", "fixed",
                 "--account", account)
    assert result.code == 0, result.output
    assert [r["method"] for r in sandbox.requests][:1] == ["POST"]
    assert query(workdir, "SELECT enabled, amount, duration, strategy FROM finops.ai_gateway_spending_limits "
                          f"WHERE account_id = '{account}' AND valid_to IS NULL") == [(True, 25000, "weekly", "fixed")]
    shown = cli("spending-limit", "get")
    assert shown.code == 0 and "25,000" in shown.stdout
    cleared = cli("spending-limit", "clear", "--account", account, "--yes")
    assert cleared.code == 0 and sandbox.ai.limits[account]["enabled"] is False


def test_a_403_on_the_deprecated_post_exits_3_and_says_where_to_go(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    sandbox.spending_limit_post_forbidden = True
    result = cli("spending-limit", "set", "--amount", "25000", "--duration", "weekly", "--strategy", "fixed")
    assert result.code == 3
    assert "no longer accepts changes" in result.stderr and "per gateway" in result.stderr


def test_spend_vs_limit_matches_a_hand_computed_case_with_a_projected_breach(cli, workdir):
    with duckdb.connect(str(workdir / "finops_etl.duckdb")) as con:
        con.execute("""
            CREATE SCHEMA finops;
            CREATE TABLE finops.ai_gateway_usage_history AS
            SELECT acct AS account_id, 'hour' AS value_grouping_window, 'openai' AS id,
                   cents::DECIMAL(38,10) AS aggregated_value,
                   TIMESTAMPTZ '2026-10-10 00:00:00+00' + to_hours(h) AS start_time,
                   TIMESTAMPTZ '2026-10-10 01:00:00+00' + to_hours(h) AS end_time, 'hand' AS _dlt_load_id
            FROM (VALUES ('fast', 500), ('slow', 10)) v(acct, cents), range(12) r(h);
            CREATE TABLE finops.ai_gateway_spending_limits (account_id VARCHAR, enabled BOOLEAN, amount BIGINT,
                duration VARCHAR, strategy VARCHAR, valid_from TIMESTAMPTZ, valid_to TIMESTAMPTZ);
            INSERT INTO finops.ai_gateway_spending_limits VALUES
              ('fast', true, 10000, 'daily', 'fixed', '2026-10-01', NULL),
              ('fast', true, 99, 'daily', 'fixed', '2026-09-01', '2026-10-01'),
              ('slow', true, 1000000, 'monthly', 'fixed', '2026-10-01', NULL);
        """)
    result = cli("transform")
    assert result.code == 0, result.output
    rows = query(workdir, "SELECT account_id, window_start, window_end, spent_cents, limit_cents, percent_used, "
                          "projected_cents_at_window_end, projected_breach_at FROM finops.spend_vs_limit")
    utc = timezone.utc
    assert rows == [
        ("fast", datetime(2026, 10, 10, tzinfo=utc), datetime(2026, 10, 11, tzinfo=utc), Decimal("6000"), 10000,
         Decimal("60.00"), Decimal("12000"), datetime(2026, 10, 10, 20, tzinfo=utc)),
        ("slow", datetime(2026, 10, 1, tzinfo=utc), datetime(2026, 11, 1, tzinfo=utc), Decimal("120"), 1000000,
         Decimal("0.01"), Decimal("120") + Decimal(10) * (21 * 24 + 12), None),
    ]


def test_a_window_answered_with_has_more_is_split_until_every_bucket_is_loaded_once(sandbox, cli, workdir,
                                                                                   monkeypatch):
    sandbox.gateway_max_buckets = 100  # a 7-day hour window holds 504 entries: it must be split, repeatedly
    point_at(monkeypatch, sandbox, venice=False)
    result = cli("backfill", "--start", "2026-10-01", "--end", "2026-10-14", "--sources", "ai_gateway")
    assert result.code == 0, result.output
    assert loaded(workdir, "hour") == served(sandbox, "hour")
    assert loaded(workdir, "day") == served(sandbox, "day")
    starts = [int(r["query"]["start_time"]) for r in sandbox.requests if r["api"] == "ai_gateway"]
    assert len(starts) > 2 * 3 * 2  # more requests than windows: split


def test_a_float_spending_limit_amount_is_read_as_whole_cents(sandbox, cli, workdir, monkeypatch):
    account = sandbox.account_ids[0]
    sandbox.set_spending_limit(account, True, 12345.5, "monthly", "fixed")  # the SDK types amount float
    point_at(monkeypatch, sandbox, venice=False)
    result = cli("spending-limit", "get", "--sources", "ai_gateway")
    assert result.code == 0, result.output
    assert "12,346" in result.stdout  # whole cents, half-even (the previous code truncated)

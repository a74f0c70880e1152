"""Venice charges through both endpoints and both formats, against the sandbox over real HTTP."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st
import pyarrow as pa

from conftest import VENICE_ADMIN_KEY, point_at, query
from pipelines.sandbox import VENICE_INFERENCE_KEY
from sources.venice.helpers import ChargeKeys

START, END = "2026-10-01", "2026-10-03"
LO, HI = datetime(2026, 10, 1, tzinfo=timezone.utc), datetime(2026, 10, 4, tzinfo=timezone.utc)
ROWS = ("SELECT timestamp, sku, units, amount, currency, request_id, prompt_tokens, completion_tokens "
        "FROM finops.venice_billing_usage ORDER BY ALL")


def served(sb) -> list[tuple]:
    rows = []
    for c in sb.expected_venice_charges(LO, HI):
        d = c["inferenceDetails"] or {}
        rows.append((datetime.fromisoformat(c["timestamp"].replace("Z", "+00:00")), c["sku"],
                     Decimal(str(c["units"])).quantize(Decimal("1e-10")),
                     Decimal(str(c["amount"])).quantize(Decimal("1e-10")),
                     "DIEM" if c["currency"] == "VCU" else c["currency"], d.get("requestId"),
                     d.get("promptTokens"), d.get("completionTokens")))
    return sorted(rows, key=lambda r: tuple("" if v is None else str(v) for v in r))


def loaded(workdir) -> list[tuple]:
    return sorted(query(workdir, ROWS), key=lambda r: tuple("" if v is None else str(v) for v in r))


def backfill(cli):
    return cli("backfill", "--start", START, "--end", END, "--sources", "venice")


@pytest.mark.parametrize("api, fmt", [("usage-history", "json"), ("usage-history", "csv"), ("usage", "json"),
                                      ("usage", "csv")])
def test_a_multi_page_window_loads_exactly_the_served_charges_and_a_rerun_adds_nothing(sandbox, cli, workdir,
                                                                                      monkeypatch, api, fmt):
    point_at(monkeypatch, sandbox, cloudflare=False, SOURCES__VENICE__API=api, SOURCES__VENICE__FORMAT=fmt)
    result = backfill(cli)
    assert result.code == 0, result.output
    expected = served(sandbox)
    assert len(expected) > 1000  # several pages of 1000 (legacy: 500) over the backfill
    assert loaded(workdir) == expected
    pages = [r for r in sandbox.requests if r["api"] == "venice"]
    assert len(pages) >= (2 if api == "usage-history" else 1)
    assert backfill(cli).code == 0
    assert loaded(workdir) == expected


def test_json_and_csv_give_identical_tables(sandbox, cli, workdir, monkeypatch, tmp_path):
    point_at(monkeypatch, sandbox, cloudflare=False, SOURCES__VENICE__FORMAT="json")
    assert backfill(cli).code == 0
    as_json = query(workdir, "SELECT * EXCLUDE (_dlt_load_id) FROM finops.venice_billing_usage ORDER BY ALL")
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(tmp_path / "csv" / "finops_etl.duckdb"))
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "csv" / "dlt"))
    (tmp_path / "csv").mkdir()
    point_at(monkeypatch, sandbox, cloudflare=False, SOURCES__VENICE__FORMAT="csv")
    assert backfill(cli).code == 0
    as_csv = query(tmp_path / "csv", "SELECT * EXCLUDE (_dlt_load_id) FROM finops.venice_billing_usage "
                                     "ORDER BY ALL")
    assert as_json == as_csv and len(as_json) > 300


def test_identical_real_charges_are_both_kept(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, cloudflare=False)
    assert backfill(cli).code == 0
    (doubles,) = query(workdir, "SELECT count(*) FROM (SELECT timestamp, sku, units, amount, request_id, notes "
                                "FROM finops.venice_billing_usage GROUP BY ALL HAVING count(*) > 1)")[0]
    assert doubles > 0
    assert loaded(workdir) == served(sandbox)


def test_a_charge_inserted_while_paging_the_legacy_endpoint_is_neither_lost_nor_doubled(sandbox, cli, workdir,
                                                                                       monkeypatch):
    point_at(monkeypatch, sandbox, cloudflare=False, SOURCES__VENICE__API="usage")
    sandbox.add_fault(r"/billing/usage$", "insert_midwalk", times=1)
    assert backfill(cli).code == 0
    expected = served(sandbox)  # includes the inserted charge from now on
    assert any(row[1] == "late-adjustment" for row in expected)
    assert loaded(workdir) == expected


def test_an_expired_cursor_restarts_the_walk_cleanly(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, cloudflare=False)
    sandbox.add_fault(r"/usage-history$", "expire_cursor", times=1)
    result = backfill(cli)
    assert result.code == 0, result.output
    assert [r["status"] for r in sandbox.requests if r["api"] == "venice"].count(400) == 1
    assert loaded(workdir) == served(sandbox)


def test_a_410_from_the_retired_endpoint_says_to_switch_api(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, cloudflare=False, SOURCES__VENICE__API="usage")
    sandbox.venice_legacy_gone = True
    result = backfill(cli)
    assert result.code == 2
    assert "SOURCES__VENICE__API=usage-history" in result.output and "410" in result.output


def test_an_inference_key_exits_3_and_the_key_never_shows(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, cloudflare=False, SOURCES__VENICE__API_KEY=VENICE_INFERENCE_KEY)
    result = backfill(cli)
    assert result.code == 3
    assert "ADMIN" in result.output and "SOURCES__VENICE__API_KEY" in result.output
    assert VENICE_INFERENCE_KEY not in result.output and VENICE_ADMIN_KEY not in result.output


def test_a_429_waits_for_x_ratelimit_reset_requests_then_loads(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, cloudflare=False)
    sandbox.add_fault(r"/usage-history$", "rate_limit", times=1, retry_after=1)
    assert backfill(cli).code == 0
    assert loaded(workdir) == served(sandbox)


def test_incremental_runs_reread_the_lookback_and_add_nothing_twice(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, cloudflare=False, SOURCES__VENICE__START_DATE="2026-11-10",
             SOURCES__VENICE__END_DATE="2026-11-14")
    assert cli("run", "--sources", "venice").code == 0
    first = query(workdir, "SELECT count(*), count(DISTINCT record_key) FROM finops.venice_billing_usage")[0]
    assert first[0] == first[1] > 0
    monkeypatch.setenv("SOURCES__VENICE__END_DATE", "2026-11-16")
    sandbox.clear_requests()
    assert cli("run", "--sources", "venice").code == 0
    starts = [r["query"].get("startTimestamp") for r in sandbox.requests if r["api"] == "venice"]
    assert min(s for s in starts if s) >= "2026-11-12"  # 3-day look-back before the 11-15 mark
    total, distinct = query(workdir, "SELECT count(*), count(DISTINCT record_key) FROM finops.venice_billing_usage")[0]
    expected = len(sandbox.expected_venice_charges(datetime(2026, 11, 10, tzinfo=timezone.utc),
                                                   datetime(2026, 11, 17, tzinfo=timezone.utc)))
    assert total == distinct == expected


def test_charges_past_the_loaded_mark_are_appended_and_the_rest_merged(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, cloudflare=False)
    for start, end, appends in [("2026-10-01", "2026-10-01", True), ("2026-10-02", "2026-10-03", True),
                                ("2026-10-01", "2026-10-02", False)]:
        result = cli("backfill", "--start", start, "--end", end, "--sources", "venice", "-v")
        assert result.code == 0, result.output
        assert ("venice: nothing planned is loaded yet: appending" in result.stderr) is appends, (start, end)
    assert loaded(workdir) == served(sandbox)
    (dupes,) = query(workdir, "SELECT count(*) - count(DISTINCT record_key) FROM finops.venice_billing_usage")[0]
    assert dupes == 0


text = st.one_of(st.none(), st.text(alphabet="a|\\\u2205", max_size=4))


@settings(deadline=None, max_examples=300)
@given(st.lists(st.tuples(text, text, text), min_size=2, max_size=12, unique=True))
def test_distinct_free_text_parts_never_share_a_key(rows):
    """Notes may hold the separator, the NULL mark or the escape: the key still tells every tuple apart."""
    from sources.arrow_records import key_column

    table = pa.table({name: pa.array([r[i] for r in rows], pa.string()) for i, name in enumerate("abc")})
    keys = key_column(table, ["a", "b", "c"]).to_pylist()
    assert len(set(keys)) == len(rows)


charge = st.tuples(st.integers(0, 3), st.sampled_from(["a-in", "a-out", "img"]), st.integers(1, 3))


@settings(deadline=None, max_examples=200)
@given(st.lists(charge, max_size=60), st.lists(st.integers(1, 20), max_size=8))
def test_charge_keys_are_unique_and_stable_however_pages_split(rows, cuts):
    rows = sorted(rows)  # pages come in ascending timestamp order
    table = pa.table({"timestamp": [f"2026-10-01T00:00:0{t}Z" for t, _, _ in rows], "sku": [s for _, s, _ in rows],
                      "units": [str(u) for _, _, u in rows]})
    parts = ["timestamp", "sku", "units"]
    import sources.venice.helpers as helpers
    original = helpers.KEY_PARTS
    helpers.KEY_PARTS = parts
    try:
        whole = ChargeKeys().add_keys(table).column("record_key").to_pylist()
        keys, offset, split = ChargeKeys(), 0, []
        for cut in cuts + [len(rows)]:
            page = table.slice(offset, cut)
            split += keys.add_keys(page).column("record_key").to_pylist()
            offset += page.num_rows
        split += keys.add_keys(table.slice(offset)).column("record_key").to_pylist()
    finally:
        helpers.KEY_PARTS = original
    assert len(set(whole)) == len(whole) == len(rows)
    assert split == whole

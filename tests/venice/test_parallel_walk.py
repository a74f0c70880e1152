"""Venice windows walked in parallel: the same rows as one sequential cursor walk, cut where the data is dense,
and never a 429 under the provider's rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.sandbox import VENICE_ADMIN_KEY, Sandbox
from sources.http_client import RetryPolicy
from sources.venice import parallel_walk
from sources.venice.helpers import venice_client, walk_history
from sources.venice.parallel_walk import plan_cut, walk_parallel
from tests.conftest import TODAY, point_at, query

START = datetime(2026, 11, 11, tzinfo=UTC)
END = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def ledger():
    with Sandbox(seed=11, accounts=1, metrics=1, days=1, venice_charges_per_day=900, venice_days=12,
                 today=TODAY) as sb:
        yield sb


def _keys(pages) -> list[str]:
    return [key for table, _ in pages for key in table.column("record_key").to_pylist()]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(window_hours=st.integers(min_value=6, max_value=24 * 12), piece_pages=st.integers(min_value=1, max_value=6),
       workers=st.integers(min_value=1, max_value=6))
def test_parallel_walk_reads_exactly_the_rows_of_one_sequential_walk(ledger, window_hours, piece_pages, workers):
    client = venice_client(ledger.venice_base_url, VENICE_ADMIN_KEY, RetryPolicy(max_retry_seconds=10), 8)
    sequential = _keys(walk_history(client, START, END, "json"))
    old = parallel_walk.PIECE_PAGES
    parallel_walk.PIECE_PAGES = piece_pages
    try:
        spans, pages = [], []
        for w_start, w_end, got in walk_parallel(client, START, END, "json", timedelta(hours=window_hours), workers):
            assert not isinstance(got, BaseException), got
            spans.append((w_start, w_end))
            pages += got
    finally:
        parallel_walk.PIECE_PAGES = old
        client.close()
    parallel = _keys(pages)
    assert len(parallel) == len(sequential) > 8000
    assert sorted(parallel) == sorted(sequential)  # the same keys, each once: identical charges keep their ordinal
    assert spans[0][0] == START and spans[-1][1] == END
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))  # consecutive, no gap, no overlap


def _page(rows: int, start: datetime, span: timedelta) -> pa.Table:
    step = span / rows
    stamps = [start + step * i for i in range(rows)]
    return pa.table({"timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC"))})


def test_a_dense_day_gets_smaller_windows_and_a_sparse_one_is_walked_whole():
    week_end = START + timedelta(days=7)
    # 1000 charges in the first hour of a week: ~168 pages expected, cut into pieces of ~PIECE_PAGES pages
    cut, pieces = plan_cut(_page(1000, START, timedelta(hours=1)), START, week_end)
    assert cut == START + timedelta(hours=1) - timedelta(hours=1) / 1000
    assert len(pieces) == parallel_walk.MAX_PIECES or len(pieces) >= 168 / parallel_walk.PIECE_PAGES
    assert pieces[0][0] == cut and pieces[-1][1] == week_end
    # the same page spread over three days: ~2.3 pages expected, one cursor walks it on
    assert plan_cut(_page(1000, START, timedelta(days=3)), START, week_end) is None


def test_parallel_backfill_draws_no_429_under_venices_rate_limit(cli, workdir, monkeypatch):
    with Sandbox(seed=11, accounts=1, metrics=1, days=1, venice_charges_per_day=4000, venice_days=8,
                 today=TODAY, venice_rate_limit="12/3", latency_ms=20) as sb:
        point_at(monkeypatch, sb, cloudflare=False, SOURCES__VENICE__WINDOW_DAYS="1")
        result = cli("backfill", "--start", "2026-11-13", "--end", "2026-11-19", "--sources", "venice")
        assert result.code == 0, result.output
        statuses = [r["status"] for r in sb.requests if r["api"] == "venice"]
        expected = sb.expected_venice_charges(datetime(2026, 11, 13, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))
    assert len(statuses) > 24  # more than two windows' worth of the limit: the pacing was needed
    assert 429 not in statuses
    assert sb.in_flight.peak > 1  # walked in parallel
    assert query(workdir, "SELECT count(*) FROM finops.venice_billing_usage")[0][0] == len(expected)

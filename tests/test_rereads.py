"""Look-back re-reads (sources/rereads.py): a day whose rows are the ones already loaded is dropped, every other
row loads, whatever the order of delivery and however the rows are cut into request windows."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.rereads import RereadFilter, horizon, unchanged_mark

LAST = date(2026, 11, 20)
LOOKBACK = 3
DAYS = (LAST - timedelta(days=6), LAST)  # a window reaching back past the horizon (LAST - 4)
SCHEMA = pa.schema([("key", pa.string()), ("at", pa.timestamp("us", tz="UTC")), ("cost", pa.decimal128(38, 10))])

record = st.tuples(st.integers(0, 6), st.integers(0, 23), st.sampled_from(["a", "b", "c", "d"]),
                   st.integers(0, 3))  # day offset, hour, key, cost


def table(records: list[tuple[int, int, str, int]]) -> pa.Table:
    return pa.table({
        "key": [f"{k}{d}" for d, _, k, _ in records],
        "at": [datetime.combine(DAYS[0] + timedelta(days=d), datetime.min.time(), timezone.utc) + timedelta(hours=h)
               for d, h, _, _ in records],
        "cost": [pa.scalar(c, pa.decimal128(38, 10)).as_py() for *_, c in records],
    }, schema=SCHEMA)


def read(state: dict, records: list, cuts: list[int], compared: bool = True) -> tuple[list, object]:
    """Feed the rows in windows cut at `cuts`, as a source does; return every row passed on to the load."""
    scope = RereadFilter(state, horizon(LAST, LOOKBACK) if compared else None).scope("acct", DAYS, "at", ["key"])
    passed = []
    bounds = sorted({0, len(records), *[c % (len(records) + 1) for c in cuts]})
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        out = scope.take(table(records[lo:hi]))
        passed += out.to_pylist() if out is not None else []
    out = scope.finish()
    passed += out.to_pylist() if out is not None else []
    return passed, scope


def day_of(row: dict) -> date:
    return row["at"].date()


@settings(max_examples=150, deadline=None)
@given(before=st.lists(record, max_size=30, unique_by=lambda r: (r[0], r[2])),
       edits=st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 3)),
                      max_size=4),
       drops=st.lists(st.integers(0, 40), max_size=3), cuts=st.lists(st.integers(0, 40), max_size=4),
       cuts_again=st.lists(st.integers(0, 40), max_size=4), shuffle=st.randoms(use_true_random=False))
def test_only_days_that_changed_load_again(before, edits, drops, cuts, cuts_again, shuffle):
    state: dict = {}
    first, _ = read(state, before, cuts)
    assert Counter(map(str, first)) == Counter(map(str, table(before).to_pylist()))  # a first read loads all

    after = {(d, k): (d, h, k, c) for d, h, k, c in before}
    for d, k, c in edits:  # restated or new records
        after[(d, k)] = (d, 5, k, c)
    for i in drops:  # records the provider no longer sends
        if after:
            after.pop(sorted(after)[i % len(after)])
    now = list(after.values())
    shuffle.shuffle(now)  # the provider's order is not ours to rely on
    passed, scope = read(state, now, cuts_again)

    def per_day(rows):
        days: dict = {}
        for r in rows:
            days.setdefault(day_of(r), Counter())[str(sorted(r.items()))] += 1
        return days

    old, new = per_day(table(before).to_pylist()), per_day(table(now).to_pylist())
    recent = horizon(LAST, LOOKBACK)
    expected = [r for r in table(now).to_pylist()
                if day_of(r) < recent or old.get(day_of(r)) != new.get(day_of(r))]
    assert Counter(map(str, passed)) == Counter(map(str, expected))
    changed_days = {d for d in set(old) | set(new) if d >= recent and old.get(d) != new.get(d)}
    assert scope.changed == bool(expected or changed_days)

    # the same answer once more: only the days before the horizon load again (the fast path when it came in
    # the same pieces, the per-day one otherwise)
    again, scope = read(state, now, cuts_again)
    assert Counter(map(str, again)) == Counter(map(str, [r for r in table(now).to_pylist() if day_of(r) < recent]))
    assert scope.changed == any(day_of(r) < recent for r in table(now).to_pylist())


def test_a_backfill_compares_nothing_and_forgets_the_days_it_loaded():
    rows = [(d, 1, "a", 1) for d in range(7)]
    state: dict = {}
    read(state, rows, [])
    assert state["reread_digests"]["acct"]
    passed, _ = read(state, rows, [], compared=False)
    assert len(passed) == len(rows)
    assert state["reread_digests"]["acct"] == {}
    again, _ = read(state, rows, [])  # the next cron run cannot tell what the backfill wrote: it loads
    assert len(again) == len(rows)


def test_an_abandoned_scope_loads_what_it_held_and_keeps_no_digest():
    state: dict = {}
    read(state, [(6, 1, "a", 1)], [])
    scope = RereadFilter(state, horizon(LAST, LOOKBACK)).scope("acct", DAYS, "at", ["key"])
    assert scope.take(table([(6, 1, "a", 1)])) is None  # recent: held
    held = scope.abandon()
    assert held is not None and held.num_rows == 1
    assert "acct" not in state["reread_digests"]


def test_marks_of_scopes_that_brought_nothing_move_once_a_day():
    assert unchanged_mark("2026-11-20T08:00:00+00:00", "2026-11-20T09:00:00+00:00") == "2026-11-20T08:00:00+00:00"
    assert unchanged_mark("2026-11-20T08:00:00+00:00", "2026-11-21T00:10:00+00:00") == "2026-11-21T00:10:00+00:00"
    assert unchanged_mark("2026-11-20", "2026-11-20") == "2026-11-20"
    assert unchanged_mark(None, "2026-11-20") == "2026-11-20"


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(record, min_size=1, max_size=30, unique_by=lambda r: (r[0], r[2])),
       cuts=st.lists(st.integers(0, 40), max_size=4), cuts_again=st.lists(st.integers(0, 40), max_size=4),
       later_start=st.integers(0, 4))
def test_a_later_look_back_over_the_same_rows_takes_the_fast_path(rows, cuts, cuts_again, later_start):
    """A first run reads from further back (its whole window); the same day's next run reads only its look-back,
    cut into other answers. Rows unchanged: no per-day work, nothing loaded, the state untouched."""
    rows = sorted(rows)  # the provider's order, the same in both answers
    state: dict = {}
    read(state, rows, cuts)
    snapshot = repr(state)
    start = horizon(LAST, LOOKBACK) + timedelta(days=later_start)
    offset = (start - DAYS[0]).days
    look_back = [r for r in rows if r[0] >= offset]
    scope = RereadFilter(state, horizon(LAST, LOOKBACK)).scope("acct", (start, LAST), "at", ["key"])
    passed = []
    bounds = sorted({0, len(look_back), *[c % (len(look_back) + 1) for c in cuts_again]})
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        out = scope.take(table(look_back[lo:hi]))
        passed += out.to_pylist() if out is not None else []
    assert scope.finish() is None and not passed
    assert scope.unchanged_as_read and not scope.changed
    assert repr(state) == snapshot

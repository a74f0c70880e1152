"""Look-back re-reads that changed nothing are not loaded again.

Each cron run re-reads the last days of every scope (an account, an account's grain), because providers deliver
late and restate. Loading those rows again changes nothing but their load id, and a new load id makes the
transforms rebuild. So the rows of the last few days are held back while a scope is read, and a digest of each
UTC day's rows (sorted by key, so the order of delivery does not matter) is compared with the digest the scope's
last load stored: a day whose rows are the ones already loaded is dropped from the load.

Why this is safe: the digests live in the resource's dlt state, which dlt stores with the data, in the same load
package. A stored digest therefore describes rows that are in the warehouse (or in a pending package that the
next run loads first). Any difference (a restated cost, a new record, a record the provider dropped, another
order of columns) changes the digest and the day is loaded as before; only a byte-identical day is skipped.
A backfill compares nothing and drops the digests of the days it loads, so what it wrote is never mistaken
for what an earlier run saw.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

STATE_KEY = "reread_digests"
HELD_ROWS = 250_000  # a scope whose recent days hold more is loaded whole (its re-read is no no-op anyway)
_EMPTY = "empty"
_DAY = "__reread_day"


def horizon(last_day: date, lookback_days: int) -> date:
    """The first day whose digest is kept: the next run's look-back starts there at the earliest."""
    return last_day - timedelta(days=lookback_days + 1)


def unchanged_mark(old: str | None, proposed: str) -> str:
    """Where the high-water mark of a scope that brought nothing goes: it stays on the same UTC day (the state,
    and so the load, stay untouched), and moves on once a day so the re-read window does not grow."""
    if old is None or proposed[:10] > old[:10]:
        return max(proposed, old or "")
    return old


class RereadFilter:
    """One resource's digests, `{scope: {day: digest}}` in its state. `horizon` None: a backfill."""

    def __init__(self, state: dict[str, Any], horizon_day: date | None):
        self.stored: dict[str, dict[str, str]] = state.setdefault(STATE_KEY, {})
        # per scope, digests of the held rows as they came in (unsorted, as delivered), one per first day a later
        # run's look-back may start on: a re-read that comes back byte for byte the same needs no per-day work.
        # They are written only together with the day digests (never alone: that would be a state change, so a
        # load, for nothing), so the run that writes them must foresee the next one's window: hence one per day.
        self.as_read: dict[str, dict[str, str]] = state.setdefault(STATE_KEY + "_as_read", {})
        self.horizon = horizon_day

    def scope(self, name: str, days: tuple[date, date], day_column: str, sort_keys: list[str]) -> "ScopeReread":
        return ScopeReread(self, name, days, day_column, sort_keys)


class ScopeReread:
    """The rows of one scope as they are read: `take` passes on what must load now, `finish` what changed."""

    def __init__(self, book: RereadFilter, name: str, days: tuple[date, date], day_column: str,
                 sort_keys: list[str]):
        self.book, self.name, self.days = book, name, days
        self.day_column, self.sort_keys = day_column, sort_keys
        self.compared = book.horizon is not None
        self._held: list[pa.Table] = []
        self._held_rows = 0
        self.brought_rows = False  # rows of this scope went to the load
        self.changed = False  # something of this scope changed: rows, or a digest (a day that lost its rows)
        self.unchanged_as_read = False  # finish found the rows as the last load's run read them (the fast path)

    def take(self, table: pa.Table) -> pa.Table | None:
        """Rows to load now (before the horizon, or not comparable); the recent ones are held."""
        if not table.num_rows:
            return None
        if not self.compared:
            return self._passed(table)
        days = pc.cast(table.column(self.day_column), pa.date32())
        recent = pc.fill_null(pc.greater_equal(days, pa.scalar(self.book.horizon, pa.date32())), False)
        held = pc.sum(recent).as_py() or 0
        if held == 0:
            return self._passed(table)
        self._held.append(table if held == table.num_rows else table.filter(recent))
        self._held_rows += held
        if held == table.num_rows and self._held_rows <= HELD_ROWS:
            return None
        if self._held_rows > HELD_ROWS:  # too big to hold: everything loads, nothing is compared
            self.compared = False
            self._forget()
            kept, self._held = self._held, []  # (this table's recent rows are among them)
            return self._passed(pa.concat_tables([table.filter(pc.invert(recent)), *kept],
                                                 promote_options="permissive"))
        return self._passed(table.filter(pc.invert(recent)))

    def finish(self) -> pa.Table | None:
        """The scope is read whole: the held rows of days that changed, and the digests of every recent day."""
        first, last = self.days
        if not self.compared:
            stored = self.book.stored.get(self.name, {})
            for day in _iso_days(first, last):
                stored.pop(day, None)
            self.book.as_read.pop(self.name, None)
            return None
        compared = _iso_days(max(first, self.book.horizon), last)
        held = pa.concat_tables(self._held, promote_options="permissive").combine_chunks() if self._held else None
        self._held = []
        held_days = pc.cast(held.column(self.day_column), pa.date32()) if held is not None else None
        as_read, covered = _digest_as_read(compared, held, held_days)
        known = self.book.as_read.get(self.name)
        if (isinstance(known, dict) and compared and known.get(compared[0]) == as_read and covered
                and self.name in self.book.stored):
            self.unchanged_as_read = True  # the very rows the last load held for these days: nothing changed
            return None
        held = held if held is not None else pa.table({})
        old = self.book.stored.get(self.name, {})
        # recent days this run did not read (its look-back starts later) keep what the last run saw
        new = {day: digest for day, digest in old.items() if self.book.horizon.isoformat() <= day < first.isoformat()}
        by_day = _rows_by_day(held, self.day_column, self.sort_keys)
        changed_days = []
        for day in compared:
            new[day] = _digest(by_day.get(day))
            if old.get(day) != new[day]:
                changed_days.append(day)
        self.changed = self.changed or bool(changed_days)
        if new != old:  # the state changes (and is loaded) anyway: remember how these rows came in, for a next
            # look-back starting on any of the days compared (the same UTC day's next run starts on a later one
            # when this run read from further back, as a first run does)
            self.book.stored[self.name] = new
            self.book.as_read[self.name] = {
                day: as_read if i == 0 else _digest_as_read(compared[i:], held if held.num_rows else None, held_days)[0]
                for i, day in enumerate(compared)}
        # a row dated outside the days compared (the provider answered past the window) is loaded, not judged
        wanted = [rows for day, rows in by_day.items() if day in changed_days or day not in compared]
        if not wanted:
            return None
        return self._passed(pa.concat_tables(wanted))

    def abandon(self) -> pa.Table | None:
        """The scope could not be read whole: what was held loads, and its digests go (nothing is compared)."""
        self._forget()
        self.compared = False
        held, self._held = self._held, []
        return self._passed(pa.concat_tables(held, promote_options="permissive")) if held else None

    def next_mark(self, old: str | None, proposed: str) -> str:
        """The scope's high-water mark after it was read whole: `proposed` if anything of it changed."""
        return max(proposed, old or "") if self.changed else unchanged_mark(old, proposed)

    def _forget(self) -> None:
        self.book.stored.pop(self.name, None)
        self.book.as_read.pop(self.name, None)

    def _passed(self, table: pa.Table) -> pa.Table | None:
        if not table.num_rows:
            return None
        self.brought_rows = self.changed = True
        return table


def _iso_days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _digest_as_read(days: list[str], held: pa.Table | None, held_days: pa.Array | None) -> tuple[str, bool]:
    """The days compared and the held rows from the first of them on, in the order they came in (no sort), and
    whether that is every held row. The rows are always a filter's fresh copy, so the same rows give the same
    bytes whichever answers they were cut from (a first run's 31-day window, a later run's look-back)."""
    digest = hashlib.blake2b(",".join(days).encode(), digest_size=16)
    covered = True
    if held is not None and days:
        since = pc.fill_null(pc.greater_equal(held_days, pa.scalar(date.fromisoformat(days[0]), pa.date32())), False)
        rows = held.filter(since)
        covered = rows.num_rows == held.num_rows
        if rows.num_rows:  # no rows digest as no answer
            digest.update(_ipc(rows))
    return digest.hexdigest(), covered


def _rows_by_day(table: pa.Table, day_column: str, sort_keys: list[str]) -> dict[str, pa.Table]:
    """The rows of each UTC day (ISO text), in key order: one sort, then one take per day. (A take, not a slice:
    a slice keeps its parent's buffers and offset, and would give the same rows other bytes.)"""
    if not table.num_rows:
        return {}
    days = pc.cast(table.column(day_column), pa.date32())
    order = pc.sort_indices(table.append_column(_DAY, days),
                            sort_keys=[(_DAY, "ascending"), *[(key, "ascending") for key in sort_keys]])
    runs = pc.run_end_encode(pc.take(days, order).combine_chunks())
    out, start = {}, 0
    for day, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
        out[day.isoformat() if day else "null"] = table.take(order.slice(start, end - start))
        start = end
    return out


def _digest(rows: pa.Table | None) -> str:
    """Arrow IPC of the day's rows (sorted by key, one chunk): the same rows give the same bytes."""
    if rows is None or not rows.num_rows:
        return _EMPTY
    return hashlib.blake2b(_ipc(rows.combine_chunks()), digest_size=16).hexdigest()


def _ipc(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()

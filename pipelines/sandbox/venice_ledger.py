"""Synthetic Venice billing charges, generated an hour at a time so a million never sit in memory at once.

Every UTC day has exactly `charges_per_day` charges, spread over its hours by a daily rhythm with some
noise (see venice_charges for what a charge is). About 1 charge in 500 is charged twice: an identical
second row, right after the first.

Charges are ordered by (timestamp, tiebreak). The tiebreak is the charge's position in its generated hour;
charges inserted later (the `insert_midwalk` fault) get a fractional one between their neighbours, so the
order is total and a keyset cursor over it never repeats or skips a row.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Self

from pipelines.sandbox.hashing import mix, splitmix
from pipelines.sandbox.venice_charges import Charge, event_rows, late_adjustment, raw_charge, request_id

HOUR_MS = 3_600_000
DUPLICATE_ONE_IN = 500
CACHED_HOURS = 96
# the daily rhythm: how busy each UTC hour is, relative to the others
HOUR_PERCENT = (70, 60, 55, 55, 60, 70, 80, 90, 100, 110, 115, 120, 125, 130, 135, 140, 140, 135, 130, 125,
                115, 105, 95, 80)


def _sort_key(charge: Charge) -> tuple[int, float]:
    return charge.ts, charge.tiebreak


def currency_matches(charge_currency: str, wanted: str | None) -> bool:
    """The `currency` filter; VCU and DIEM are one currency under two names."""
    if wanted is None:
        return True
    return charge_currency == ("DIEM" if wanted == "VCU" else wanted)


def _count_currencies(rows: list[Charge]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.currency] = counts.get(row.currency, 0) + 1
    return counts


def _hour_prefix(hour: int) -> str:
    return datetime.fromtimestamp(hour * 3600, UTC).strftime("%Y-%m-%dT%H:")


class VeniceLedger:
    def __init__(self, seed: int, charges_per_day: int, first_ms: int):
        self.charges_per_day = charges_per_day
        self.first_hour = first_ms // HOUR_MS
        self._key = mix(seed, 0x7E41CE)
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, list[Charge]] = OrderedDict()
        self._currency_counts: dict[int, dict[str, int]] = {}
        self._inserted: dict[int, list[Charge]] = {}
        self._insertions = 0
        self._day_counts: dict[int, tuple[int, ...]] = {}

    # --- one hour ------------------------------------------------------------------------------
    def planned_count(self, hour: int) -> int:
        """How many charges an hour generates, known without generating them (for legacy paging totals)."""
        if hour < self.first_hour:
            return 0
        day = hour // 24
        counts = self._day_counts.get(day)
        if counts is None:
            counts = self._day_counts[day] = self._split_day(day)
        return counts[hour % 24]

    def _split_day(self, day: int) -> tuple[int, ...]:
        """charges_per_day over 24 hours in proportion to a noisy daily rhythm; the largest remainders
        take the leftover charges, so the day's total is exact."""
        weights = [HOUR_PERCENT[h] * (90 + splitmix(self._key ^ (day * 24 + h)) % 21) for h in range(24)]
        total, per_day = sum(weights), self.charges_per_day
        counts = [per_day * w // total for w in weights]
        by_remainder = sorted(range(24), key=lambda h: (-(per_day * weights[h] % total), h))
        for h in by_remainder[: per_day - sum(counts)]:
            counts[h] += 1
        return tuple(counts)

    def hour_rows(self, hour: int) -> list[Charge]:
        """Every charge of the hour, generated or inserted, in order (including any not yet due)."""
        with self._lock:
            rows = self._cache.get(hour)
            if rows is not None:
                self._cache.move_to_end(hour)
                return rows
            inserted = list(self._inserted.get(hour, ()))
        rows = self._generate(hour)
        if inserted:
            rows = sorted(rows + inserted, key=_sort_key)
        with self._lock:
            stale = len(self._inserted.get(hour, ())) != len(inserted)  # a charge landed meanwhile
            if not stale:
                self._cache[hour] = rows
                if len(self._cache) > CACHED_HOURS:
                    self._cache.popitem(last=False)
                self._currency_counts.setdefault(hour, _count_currencies(rows))
        return self.hour_rows(hour) if stale else rows

    def _generate(self, hour: int) -> list[Charge]:
        n = self.planned_count(hour)
        if n <= 0:
            return []
        hour_key = splitmix(self._key ^ hour)
        events = []
        planned = k = 0
        while planned < n:
            h = splitmix(hour_key ^ k)
            rows = event_rows(h, request_id(h, hour_key + k), n - planned)
            copied = (h >> 44) % DUPLICATE_ONE_IN  # each row has a 1-in-500 chance of a twin
            if copied < len(rows) and planned + len(rows) < n:
                rows.insert(copied + 1, rows[copied])
            events.append((h % HOUR_MS, k, rows))
            planned += len(rows)
            k += 1
        events.sort()
        prefix, base, out = _hour_prefix(hour), hour * HOUR_MS, []
        for offset, _, rows in events:
            stamp = f"{prefix}{offset // 60_000:02d}:{offset // 1000 % 60:02d}.{offset % 1000:03d}Z"
            for texts in rows:
                out.append(Charge(base + offset, len(out), texts[4], (stamp, *texts)))
        return out

    def _hour_total(self, hour: int, currency: str | None) -> int:
        if currency is None:
            with self._lock:
                return self.planned_count(hour) + len(self._inserted.get(hour, ()))
        with self._lock:
            counts = self._currency_counts.get(hour)
        if counts is None:
            counts = _count_currencies(self.hour_rows(hour))
        return counts.get("DIEM" if currency == "VCU" else currency, 0)

    # --- ranges --------------------------------------------------------------------------------
    def after(self, key: tuple[int, float], end_ms: int, currency: str | None, limit: int
              ) -> tuple[list[Charge], bool]:
        """Up to `limit` charges ordered after `key` and before end_ms, and whether more follow."""
        out: list[Charge] = []
        hour = max(key[0] // HOUR_MS, self.first_hour)
        while hour * HOUR_MS < end_ms:
            rows = self.hour_rows(hour)
            start = bisect_right(rows, key, key=_sort_key) if hour == key[0] // HOUR_MS else 0
            for i in range(start, len(rows)):
                row = rows[i]
                if row.ts >= end_ms:
                    return out, False
                if currency_matches(row.currency, currency):
                    if len(out) == limit:
                        return out, True
                    out.append(row)
            hour += 1
        return out, False

    def count(self, start_ms: int, end_ms: int, currency: str | None) -> int:
        total = 0
        for hour in range(max(start_ms // HOUR_MS, self.first_hour), -(-end_ms // HOUR_MS)):
            if start_ms <= hour * HOUR_MS and (hour + 1) * HOUR_MS <= end_ms:
                total += self._hour_total(hour, currency)
            else:
                total += len(self._hour_slice(hour, start_ms, end_ms, currency))
        return total

    def page(self, start_ms: int, end_ms: int, currency: str | None, offset: int, limit: int,
             descending: bool) -> list[Charge]:
        """Offset paging over [start_ms, end_ms): whole hours are skipped by their counts, ungenerated."""
        hours = range(max(start_ms // HOUR_MS, self.first_hour), -(-end_ms // HOUR_MS))
        out: list[Charge] = []
        for hour in reversed(hours) if descending else hours:
            whole = start_ms <= hour * HOUR_MS and (hour + 1) * HOUR_MS <= end_ms
            if whole and offset >= self._hour_total(hour, currency):
                offset -= self._hour_total(hour, currency)
                continue
            rows = self._hour_slice(hour, start_ms, end_ms, currency)
            if descending:
                rows.reverse()
            if offset >= len(rows):
                offset -= len(rows)
                continue
            out.extend(rows[offset: offset + limit - len(out)])
            offset = 0
            if len(out) >= limit:
                break
        return out

    def _hour_slice(self, hour: int, start_ms: int, end_ms: int, currency: str | None) -> list[Charge]:
        return [row for row in self.hour_rows(hour)
                if start_ms <= row.ts < end_ms and currency_matches(row.currency, currency)]

    # --- late arrivals -------------------------------------------------------------------------
    def insert_before(self, anchor: Charge, descending: bool, seed_texts: tuple) -> Charge:
        """A new charge with the anchor's timestamp, ordered just before it in the walk's direction."""
        hour = anchor.ts // HOUR_MS
        rows = self.hour_rows(hour)
        i = rows.index(anchor)
        j = i + 1 if descending else i - 1  # the row that comes before the anchor in the walk's direction
        neighbour = rows[j] if 0 <= j < len(rows) else None
        if neighbour is not None and neighbour.ts == anchor.ts:
            tiebreak = (anchor.tiebreak + neighbour.tiebreak) / 2
        else:
            tiebreak = anchor.tiebreak + (0.5 if descending else -0.5)
        charge = Charge(anchor.ts, tiebreak, seed_texts[5], (anchor.texts[0], *seed_texts[1:]))
        with self._lock:
            self._insertions += 1
            self._inserted.setdefault(hour, []).append(charge)
            self._cache.pop(hour, None)
            self._currency_counts.pop(hour, None)
        return charge

    def add_raw(self, ts: int, record: dict) -> Charge:
        """A charge served verbatim at `ts`, after the generated charges of that millisecond."""
        with self._lock:
            self._insertions += 1
            charge = raw_charge(ts, 1e9 + self._insertions, record)
            self._inserted.setdefault(ts // HOUR_MS, []).append(charge)
            self._cache.pop(ts // HOUR_MS, None)
            self._currency_counts.pop(ts // HOUR_MS, None)
        return charge

    @property
    def inserted(self) -> _RawCharges:
        """`ledger.inserted += [(ms, record), ...]` adds raw charges (as tests of the first sandbox do)."""
        return _RawCharges(self)

    @inserted.setter
    def inserted(self, value: _RawCharges) -> None:
        if not isinstance(value, _RawCharges):
            raise TypeError("add charges with `ledger.inserted += [(ms, record)]` or add_raw()")

    def late_charge_texts(self) -> tuple:
        """The texts of the next inserted charge, deterministic per insertion."""
        return late_adjustment(splitmix(self._key ^ (0x1A7E << 32) ^ self._insertions))


class _RawCharges:
    def __init__(self, ledger: VeniceLedger):
        self._ledger = ledger

    def __iadd__(self, charges: list[tuple[int, dict]]) -> Self:
        for ts, record in charges:
            self._ledger.add_raw(ts, record)
        return self

"""Several cursor walks at once: half-open windows, each its own cursor, split where the data is dense.

A cursor walk is sequential, but two windows are not: [a, b) and [b, c) can be walked side by side and
together hold exactly the charges of [a, c), because a half-open window holds every charge of each timestamp
in it and a charge's key (sources/venice/helpers.ChargeKeys) depends only on the charges of its own timestamp.
The window size comes from the data: the first page of a window says how densely it is filled, and a window
that would need more than ~PIECE_PAGES pages is cut, after that page, into pieces of about PIECE_PAGES pages
walked in parallel (each of which may be cut again). A sparse window costs one request, as before.
Results come out in time order, so the caller's high-water mark only moves over windows that loaded.
"""

from __future__ import annotations

import math
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from sources.http_client import ApiClient
from sources.prefetch import prefetched
from sources.venice.helpers import ChargeKeys, CursorRejected, Page, _history_pages, iso, walk_history
from sources.venice.settings import HISTORY_PAGE_SIZE

PIECE_PAGES = 16  # pages one cursor walks before a window is worth cutting: ~6% extra requests at the cuts
MAX_PIECES = 32  # one cut makes at most this many pieces (each may be cut again)


@dataclass
class Walked:
    """What one window's walk gave: the pages of [start, cut) and, when it was cut, the windows after it."""

    start: datetime
    cut: datetime
    pages: list[Page]
    rest: list[tuple[datetime, datetime]] = field(default_factory=list)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _instant(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def plan_cut(table: pa.Table, start: datetime, end: datetime) -> tuple[datetime, list[tuple[datetime, datetime]]] | None:
    """Where to cut a window after its first (full) page, and the pieces after the cut; None: walk it whole.

    The cut is the page's last timestamp (whole milliseconds): every charge before it is on the page. The rest
    is split evenly in time by the density the page showed."""
    if table.num_rows == 0:
        return None
    last = table.column("timestamp")[-1].as_py()
    cut_ms = _ms(last)
    start_ms, end_ms = _ms(start), _ms(end)
    if cut_ms <= start_ms or cut_ms >= end_ms:
        return None
    before = pc.sum(pc.less(table.column("timestamp"), pa.scalar(_instant(cut_ms), table.schema.field(
        "timestamp").type))).as_py() or 0
    if before == 0:
        return None
    expected_pages = before / (cut_ms - start_ms) * (end_ms - cut_ms) / HISTORY_PAGE_SIZE
    if expected_pages <= PIECE_PAGES * 1.5:
        return None
    pieces = min(MAX_PIECES, math.ceil(expected_pages / PIECE_PAGES))
    bounds = [cut_ms + (end_ms - cut_ms) * i // pieces for i in range(pieces + 1)]
    spans = [(_instant(a), _instant(b)) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    spans[-1] = (spans[-1][0], end)
    return _instant(cut_ms), spans


def walk_window(client: ApiClient, start: datetime, end: datetime, fmt: str) -> Walked:
    """Walk [start, end) whole, or its first page and where to cut the rest."""
    position = f"{iso(start)}..{iso(end)}"
    params = {"startTimestamp": iso(start), "endTimestamp": iso(end), "pageSize": str(HISTORY_PAGE_SIZE)}
    pages_iter = _history_pages(client, params, fmt, position)
    keys = ChargeKeys()
    table, rejections, cursor = next(pages_iter)
    if cursor is None:
        return Walked(start, end, [(keys.add_keys(table), rejections)])
    cut = None if rejections else plan_cut(table, start, end)  # a rejected record cannot be placed in time
    if cut is not None:
        pages_iter.close()
        at, rest = cut
        kept = table.filter(pc.less(table.column("timestamp"), pa.scalar(at, table.schema.field("timestamp").type)))
        return Walked(start, at, [(keys.add_keys(kept), [])], rest)
    pages = [(keys.add_keys(table), rejections)]
    try:
        for table, rejections, _cursor in prefetched(pages_iter):  # the read-ahead, as in walk_history
            pages.append((keys.add_keys(table), rejections))
    except CursorRejected:  # restart from the window's start: walk_history knows how, keys come out the same
        return Walked(start, end, list(walk_history(client, start, end, fmt)))
    return Walked(start, end, pages)


class _Node:
    """One window's walk; when it was cut, its pieces are submitted as soon as the cut is known (from the worker
    that made it), not when the consumer gets there: the pool stays busy across window boundaries."""

    def __init__(self, walker: "_Walker", span: tuple[datetime, datetime]):
        self.span = span
        self.children: list[_Node] = []
        self._walker = walker
        self.future: Future[Walked] = walker.pool.submit(self._walk)

    def _walk(self) -> Walked:
        walked = walk_window(self._walker.client, *self.span, self._walker.fmt)
        if walked.rest and not self._walker.closed:
            self.children = [_Node(self._walker, span) for span in walked.rest]
        return walked


@dataclass
class _Walker:
    client: ApiClient
    fmt: str
    pool: ThreadPoolExecutor
    closed: bool = False


def walk_parallel(client: ApiClient, start: datetime, end: datetime, fmt: str, window: timedelta, workers: int
                  ) -> Iterator[tuple[datetime, datetime, list[Page] | BaseException]]:
    """(start, end, pages or the exception) for consecutive windows covering [start, end), in time order,
    up to `workers` walks at once (within them, the client's quota gate decides how many requests fly). Planned
    windows are started while fewer than 2 x workers walks are waiting to be handed on."""
    from sources.windows import time_windows

    coarse = iter(time_windows(start, end, window))
    queue: deque[_Node] = deque()
    with ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="venice") as pool:
        walker = _Walker(client, fmt, pool)
        try:
            while True:
                while len(queue) < 2 * workers:
                    span = next(coarse, None)
                    if span is None:
                        break
                    queue.append(_Node(walker, span))
                if not queue:
                    return
                node = queue.popleft()
                try:
                    walked = node.future.result()
                except Exception as exc:  # noqa: BLE001 - the caller decides what a failed window means
                    yield (*node.span, exc)
                    return
                queue.extendleft(reversed(node.children))
                yield walked.start, walked.cut, walked.pages
        finally:
            walker.closed = True
            pool.shutdown(wait=True, cancel_futures=True)  # pieces not reached yet are not walked for nothing

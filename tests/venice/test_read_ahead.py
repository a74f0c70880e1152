"""The read-ahead that overlaps a cursor walk's next request with the work on the current page."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings, strategies as st

from sources.prefetch import prefetched


@settings(deadline=None, max_examples=100)
@given(st.lists(st.integers(), max_size=30), st.integers(1, 4), st.one_of(st.none(), st.integers(0, 30)))
def test_items_come_out_in_order_and_a_failure_where_it_happened(items, depth, fail_at):
    def walk():
        for i, item in enumerate(items):
            if i == fail_at:
                raise ValueError(f"page {i}")
            yield item

    got = []
    if fail_at is not None and fail_at < len(items):
        with pytest.raises(ValueError, match=f"page {fail_at}"):
            for item in prefetched(walk(), depth):
                got.append(item)
        assert got == items[:fail_at]
    else:
        assert list(prefetched(walk(), depth)) == items


def test_closing_early_stops_the_worker():
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    reader = prefetched(endless(), depth=2)
    assert [next(reader) for _ in range(3)] == [0, 1, 2]
    reader.close()
    assert not any(t.name == "prefetch" for t in threading.enumerate())
    assert len(produced) <= 3 + 2 + 1  # read at most `depth` (and the one in hand) ahead

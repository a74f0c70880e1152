"""Request windows: every day of [start, end] exactly once, none longer than Cloudflare's 31 days."""

from datetime import date, datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from sources.windows import date_windows, time_windows

days = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))


@given(days, st.integers(min_value=0, max_value=2000), st.integers(min_value=1, max_value=62))
def test_windows_cover_every_day_exactly_once_and_never_exceed_the_limit(start, span, max_days):
    end = start + timedelta(days=span)
    windows = date_windows(start, end, max_days)
    covered = [w0 + timedelta(days=i) for w0, w1 in windows for i in range((w1 - w0).days + 1)]
    assert covered == [start + timedelta(days=i) for i in range(span + 1)]
    assert all(1 <= (w1 - w0).days + 1 <= max_days for w0, w1 in windows)
    assert len(windows) == -(-(span + 1) // max_days)  # no more requests than needed


@given(days, days)
def test_an_empty_range_needs_no_request(a, b):
    if b < a:
        assert date_windows(a, b) == []


@settings(deadline=None)
@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
       st.integers(min_value=1, max_value=10**7), st.integers(min_value=600, max_value=10**6))
def test_half_open_time_windows_tile_the_range(start, span_s, step_s):
    start = start.replace(tzinfo=timezone.utc)
    end = start + timedelta(seconds=span_s)
    windows = time_windows(start, end, timedelta(seconds=step_s))
    assert windows[0][0] == start and windows[-1][1] == end
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))
    assert all(timedelta(0) < w1 - w0 <= timedelta(seconds=step_s) for w0, w1 in windows)

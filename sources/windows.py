"""Splitting a date range into request windows: pure functions a property test can hammer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone


def date_windows(start: date, end: date, max_days: int = 31) -> list[tuple[date, date]]:
    """Inclusive [start, end] cut into inclusive windows of at most `max_days` days, in order.

    Cloudflare's billable usage counts `to` inclusively and refuses more than 31 days per request.
    """
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    if end < start:
        return []
    windows = []
    cursor = start
    while cursor <= end:
        window_end = min(cursor + timedelta(days=max_days - 1), end)
        windows.append((cursor, window_end))
        cursor = window_end + timedelta(days=1)
    return windows


def time_windows(start: datetime, end: datetime, step: timedelta) -> list[tuple[datetime, datetime]]:
    """Half-open [start, end) cut into half-open windows of at most `step`, in order."""
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    windows = []
    cursor = start
    while cursor < end:
        window_end = min(cursor + step, end)
        windows.append((cursor, window_end))
        cursor = window_end
    return windows


def utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), timezone.utc)


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """Whole UTC days [first, last] as the half-open interval the time-based APIs take."""
    return utc_midnight(first), utc_midnight(last + timedelta(days=1))


def first_of_last_month(today: date) -> date:
    """The default first day to load when nothing is configured: enough for month-over-month figures."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)

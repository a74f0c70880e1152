"""Venice billing: every inference charge, from the live cursor API (usage-history) or the legacy paged one."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import dlt

from pipelines.errors import UsageError
from sources.arrow_records import Rejection
from sources.batching import ArrowBatcher
from sources.loading import MERGE_DEDUPLICATED, loaded_marks
from sources.cloudflare_billing.helpers import parse_day
from sources.config_checks import check_common, check_number
from sources.http_client import ApiStatusError, MalformedBody, RetryPolicy
from sources.quarantine import quarantined
from sources.rereads import RereadFilter, horizon
from sources.run_report import SourceReport
from sources.venice.helpers import classify, venice_client, walk_legacy
from sources.venice.parallel_walk import walk_parallel
from sources.venice.settings import (
    DEFAULT_BASE_URL, DEFAULT_CONCURRENCY, DEFAULT_LOOKBACK_DAYS, DEFAULT_WINDOW_DAYS, TABLE,
)
from sources.windows import day_range, first_of_last_month, time_windows, utc_midnight

log = logging.getLogger("finops_etl")


@dlt.source(name="venice", section="venice", max_table_nesting=0)
def venice(
    api_key: str = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    api: str = "usage-history",
    format: str = "json",  # noqa: A002 - the documented config key
    start_date: str | None = None,
    end_date: str | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    window_days: int = DEFAULT_WINDOW_DAYS,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout_seconds: float = 30.0,
    max_retry_seconds: float = 120.0,
    backfill_start: str | None = None,
    backfill_end: str | None = None,
    report: Any = None,
) -> Any:
    """Charges in half-open windows [start, end). Incremental: the state keeps the end of the last loaded
    window and each run re-reads `lookback_days` before it; a backfill reads whole days [start, end]."""
    if api not in ("usage-history", "usage"):
        raise UsageError(f"SOURCES__VENICE__API must be 'usage-history' or 'usage', got {api!r}")
    if format not in ("json", "csv"):
        raise UsageError(f"SOURCES__VENICE__FORMAT must be 'json' or 'csv', got {format!r}")
    if window_days < 1:
        raise UsageError("SOURCES__VENICE__WINDOW_DAYS must be at least 1")
    check_number(concurrency, "SOURCES__VENICE__CONCURRENCY", minimum=1, whole=True)
    last_day = parse_day(end_date, "SOURCES__VENICE__END_DATE")
    first_day = parse_day(start_date, "SOURCES__VENICE__START_DATE")
    check_common("venice", token=api_key, token_field="api_key", base_url=base_url,
                 base_url_example=DEFAULT_BASE_URL, timeout_seconds=timeout_seconds,
                 max_retry_seconds=max_retry_seconds, lookback_days=lookback_days, start=first_day, end=last_day)
    backfill = (parse_day(backfill_start, "--start"), parse_day(backfill_end, "--end"))
    client = venice_client(base_url, api_key, RetryPolicy(timeout_seconds=timeout_seconds,
                                                          max_retry_seconds=max_retry_seconds),
                           max_connections=concurrency)
    report = report or SourceReport("venice")

    now = datetime.now(timezone.utc)

    def windows(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime, Any]]:
        """usage-history: several windows walked at once, cut where the data is dense; legacy: one by one."""
        if api == "usage-history":
            yield from walk_parallel(client, start, end, format, timedelta(days=window_days), concurrency)
            return
        for w_start, w_end in time_windows(start, end, timedelta(days=window_days)):
            try:
                yield w_start, w_end, walk_legacy(client, w_start, w_end, format)
            except Exception as exc:  # noqa: BLE001 - handled like a parallel window's failure
                yield w_start, w_end, exc
                return

    def plan(marks: dict[str, str]) -> tuple[datetime, datetime]:
        end = day_range(last_day, last_day)[1] if last_day else now
        if backfill[0]:
            return day_range(*backfill)
        if "charges" in marks:  # from a UTC midnight: re-read days are whole, so their digests compare
            start = utc_midnight((datetime.fromisoformat(marks["charges"]) - timedelta(days=lookback_days)).date())
            return (max(start, utc_midnight(first_day)) if first_day else start), end
        return utc_midnight(first_day or first_of_last_month(now.date())), end

    @dlt.resource(name=TABLE, primary_key="record_key", write_disposition=MERGE_DEDUPLICATED)
    def billing_usage() -> Iterator[Any]:
        state = dlt.current.resource_state()
        marks: dict[str, str] = state.setdefault("last_loaded", {})
        start, end = plan(marks)
        batch = ArrowBatcher()
        # a cron run's look-back days that changed nothing are not loaded again (sources/rereads.py)
        last = (end - timedelta(microseconds=1)).date()
        scope = RereadFilter(state, None if backfill[0] else horizon(last, lookback_days)).scope(
            "charges", (start.date(), last), "timestamp", ["record_key"])
        old_mark, walked_to, whole = marks.get("charges"), None, True
        try:
            for w_start, w_end, pages in windows(start, end):
                try:
                    if isinstance(pages, BaseException):
                        raise pages
                    for table, rejections in pages:
                        report.add(rejected=len(rejections))
                        full = batch.add(scope.take(table))
                        if full is not None:
                            yield full
                        if rejections:
                            yield quarantined("venice", rejections)
                except MalformedBody as exc:
                    report.add(rejected=1)
                    yield quarantined("venice", [Rejection(exc.body.decode("utf-8", "replace"), exc.reason,
                                                           f"{w_start.isoformat()}..{w_end.isoformat()}")])
                    whole = False
                    break  # the state must not pass a window that did not load
                except ApiStatusError as exc:
                    raise classify(exc, api) from None
                report.add(windows=1)
                walked_to = max(w_end.isoformat(), walked_to or "")
            # a walk cut short loads what it held; a whole one, the days that changed
            full = batch.add(scope.finish() if whole else scope.abandon())
            if full is not None:
                yield full
            if walked_to is not None:
                marks["charges"] = scope.next_mark(old_mark, walked_to)
            rest = batch.flush()
            if rest is not None:
                yield rest
        finally:
            report.requests += client.requests
            client.close()

    # Charges keyed by their timestamp and all past the last loaded window's end cannot be in the table yet:
    # append them.
    marks = loaded_marks(TABLE, "last_loaded")
    if marks is not None and ("charges" not in marks or plan(marks)[0].isoformat() >= marks["charges"]):
        log.debug("venice: nothing planned is loaded yet: appending instead of merging")
        billing_usage.apply_hints(write_disposition="append")
    return billing_usage

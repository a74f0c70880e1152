"""Cloudflare AI Gateway billing: hourly and daily usage history, and the history of each spending limit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from collections import Counter
from typing import Any, Iterator

import dlt
import orjson

from pipelines.errors import AccessRefused
from sources.ai_gateway.helpers import fetch_limit, fetch_usage
from sources.ai_gateway.settings import DEFAULT_REQUEST_HOURS, GRAINS, LIMITS_TABLE, PERMISSION, USAGE_TABLE
from sources.arrow_records import Rejection
from sources.config_checks import check_account_ids, check_common, check_number
from sources.cloudflare_api import DEFAULT_CONCURRENCY, DEFAULT_BASE_URL, classify, cloudflare_client
from sources.cloudflare_billing.helpers import parse_day
from sources.http_client import ApiStatusError, MalformedBody, RetryPolicy
from sources.parallel import ordered_map
from sources.quarantine import quarantined
from sources.rereads import RereadFilter, horizon
from sources.run_report import SourceReport
from sources.windows import day_range, first_of_last_month, time_windows, utc_midnight


@dlt.source(name="ai_gateway", section="cloudflare", max_table_nesting=0)
def ai_gateway(
    api_token: str = dlt.secrets.value,
    account_ids: list[str] = dlt.config.value,
    base_url: str = DEFAULT_BASE_URL,
    start_date: str | None = None,
    end_date: str | None = None,
    lookback_days: int = 3,
    request_hours: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout_seconds: float = 30.0,
    max_retry_seconds: float = 120.0,
    backfill_start: str | None = None,
    backfill_end: str | None = None,
    report: Any = None,
) -> Any:
    """Same token, accounts and base URL as cloudflare_billing (config section `cloudflare`)."""
    last_day = parse_day(end_date, "SOURCES__CLOUDFLARE__END_DATE")
    first_day = parse_day(start_date, "SOURCES__CLOUDFLARE__START_DATE")
    check_common("cloudflare", token=api_token, token_field="api_token", base_url=base_url,
                 base_url_example=DEFAULT_BASE_URL, timeout_seconds=timeout_seconds,
                 max_retry_seconds=max_retry_seconds, lookback_days=lookback_days, start=first_day, end=last_day)
    check_account_ids(account_ids, "SOURCES__CLOUDFLARE__ACCOUNT_IDS")
    check_number(concurrency, "SOURCES__CLOUDFLARE__CONCURRENCY", minimum=1, whole=True)
    if request_hours is not None:
        check_number(request_hours, "SOURCES__CLOUDFLARE__REQUEST_HOURS", minimum=1, whole=True)
    backfill = (parse_day(backfill_start, "--start"), parse_day(backfill_end, "--end"))
    client = cloudflare_client(base_url, api_token, RetryPolicy(timeout_seconds=timeout_seconds,
                                                                max_retry_seconds=max_retry_seconds),
                               max_connections=max(concurrency, 1))
    report = report or SourceReport("ai_gateway")
    refused: set[str] = set()

    def refuse_or_raise(exc: ApiStatusError, account: str) -> None:
        error = classify(exc, account, "AI Gateway billing", PERMISSION)
        if not isinstance(error, AccessRefused):
            raise error
        refused.add(account)
        report.not_covered[account] = error.message

    @dlt.resource(name=USAGE_TABLE, write_disposition="merge",
                  primary_key=["account_id", "value_grouping_window", "id", "start_time"])
    def usage_history() -> Iterator[Any]:
        """Buckets whose start lies in the window. The newest buckets are still filling, so each run
        re-reads `lookback_days` before its high-water mark and the merge replaces them."""
        state = dlt.current.resource_state()
        marks: dict[str, str] = state.setdefault("last_loaded", {})
        now = datetime.now(timezone.utc)
        end = day_range(last_day, last_day)[1] if last_day else now
        # a cron run's look-back days that changed nothing are not loaded again (sources/rereads.py)
        last = (end - timedelta(microseconds=1)).date()
        rereads = RereadFilter(state, None if backfill[0] else horizon(last, lookback_days))
        try:
            yield from walk(marks, now, end, rereads)
        finally:
            report.requests = client.requests

    def walk(marks: dict[str, str], now: datetime, end: datetime, rereads: RereadFilter) -> Iterator[Any]:
        plan = []
        scopes = {}
        for account in account_ids:
            for grain in GRAINS:
                scope = f"{account}:{grain}"
                if backfill[0]:
                    start, stop = day_range(*backfill)
                elif scope in marks:  # from a UTC midnight: re-read days are whole, so their digests compare
                    start = utc_midnight((datetime.fromisoformat(marks[scope]) - timedelta(days=lookback_days)).date())
                    stop = end
                else:
                    start, stop = utc_midnight(first_day or first_of_last_month(now.date())), end
                step = timedelta(hours=request_hours or DEFAULT_REQUEST_HOURS[grain])
                windows = time_windows(start, stop, step)
                plan += [(account, grain, w) for w in windows]
                if windows:
                    scopes[scope] = rereads.scope(scope, (start.date(), (stop - timedelta(microseconds=1)).date()),
                                                  "start_time", ["id", "start_time"])
        windows_left = Counter(f"{account}:{grain}" for account, grain, _ in plan)
        broken: set[str] = set()  # scopes whose high-water mark must not move past a failed window

        def fetch(job: tuple) -> Any:
            account, grain, (w_start, w_end) = job
            return fetch_usage(client, account, grain, w_start, w_end)

        for (account, grain, (w_start, w_end)), outcome in ordered_map(fetch, plan, concurrency):
            scope = f"{account}:{grain}"
            if account in refused or scope in broken:
                continue
            if isinstance(outcome, (ApiStatusError, MalformedBody)):
                held = scopes[scope].abandon()  # what the scope's earlier windows brought still loads
                if held is not None:
                    yield held
            if isinstance(outcome, ApiStatusError):
                refuse_or_raise(outcome, account)
                continue
            if isinstance(outcome, MalformedBody):
                broken.add(scope)
                report.add(rejected=1)
                yield quarantined("ai_gateway", [Rejection(outcome.body.decode("utf-8", "replace"),
                                                           outcome.reason, f"{scope}:{w_start}")])
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            table, rejected = outcome
            report.add(windows=1, rejected=len(rejected))
            windows_left[scope] -= 1
            for rows in (scopes[scope].take(table), scopes[scope].finish() if not windows_left[scope] else None):
                if rows is not None:
                    yield rows
            if rejected:
                yield quarantined("ai_gateway", [Rejection(orjson.dumps(b, default=str).decode(), why, scope)
                                                 for b, why in rejected])
            if windows_left[scope] == 0:  # read whole: nothing new leaves the mark where it is today
                marks[scope] = scopes[scope].next_mark(marks.get(scope), w_end.isoformat())
            elif scopes[scope].brought_rows:  # earlier windows' rows are in this load: the mark may pass them
                marks[scope] = max(w_end.isoformat(), marks.get(scope, ""))

    @dlt.resource(name=LIMITS_TABLE, merge_key="account_id", write_disposition={
        "disposition": "merge", "strategy": "scd2", "validity_column_names": ["valid_from", "valid_to"]},
        columns={"amount": {"data_type": "bigint"}, "duration": {"data_type": "text"},
                 "strategy": {"data_type": "text"}})
    def spending_limits() -> Iterator[dict]:
        """The limit's configuration now; scd2 adds a row only when it changed (merge_key: an account
        that could not be read this run is not retired)."""
        # the configuration each account had at its last load: an unchanged one is not loaded again (scd2
        # would add no row, but the load and the transforms it starts would still run)
        seen: dict[str, str] = dlt.current.resource_state().setdefault("loaded_config", {})
        try:
            wanted = [account for account in account_ids if account not in refused]
            for account, outcome in ordered_map(lambda a: fetch_limit(client, a), wanted, concurrency):
                if isinstance(outcome, ApiStatusError):
                    refuse_or_raise(outcome, account)
                elif isinstance(outcome, BaseException):
                    raise outcome
                elif seen.get(account) != (config := orjson.dumps(outcome, option=orjson.OPT_SORT_KEYS).decode()):
                    seen[account] = config
                    yield outcome
        finally:
            report.requests = client.requests

    return usage_history, spending_limits

"""Cloudflare billable usage v2: FOCUS v1.3 daily cost-and-usage records for every configured account."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date
from typing import Any, Iterator

import dlt
import pendulum

from pipelines.errors import AccessRefused
from sources.config_checks import check_account_ids, check_common, check_number
from sources.cloudflare_api import DEFAULT_CONCURRENCY, DEFAULT_BASE_URL, classify, cloudflare_client
from sources.cloudflare_billing.helpers import fetch_window, first_day_to_read, parse_day
from sources.cloudflare_billing.settings import (
    DEFAULT_LOOKBACK_DAYS, MAX_WINDOW_DAYS, PERMISSION, TABLE,
)
from sources.http_client import ApiStatusError, MalformedBody, RetryPolicy
from sources.arrow_records import Rejection
from sources.batching import ArrowBatcher
from sources.loading import MERGE_DEDUPLICATED, loaded_marks
from sources.parallel import ordered_map
from sources.quarantine import quarantined
from sources.request_progress import RequestProgress
from sources.rereads import RereadFilter, horizon
from sources.run_report import SourceReport
from sources.windows import date_windows, first_of_last_month

log = logging.getLogger("finops_etl")


@dlt.source(name="cloudflare_billing", section="cloudflare", max_table_nesting=0)
def cloudflare_billing(
    api_token: str = dlt.secrets.value,
    account_ids: list[str] = dlt.config.value,
    base_url: str = DEFAULT_BASE_URL,
    start_date: str | None = None,
    end_date: str | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    metric: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout_seconds: float = 30.0,
    max_retry_seconds: float = 120.0,
    backfill_start: str | None = None,
    backfill_end: str | None = None,
    report: Any = None,
) -> Any:
    """FOCUS records for [start, end], walked in windows of at most 31 days (inclusive) per account.

    Incremental: the state keeps the last loaded day per account; each run re-reads `lookback_days`
    before it, because Cloudflare delivers late and restated records. A backfill reads exactly
    [backfill_start, backfill_end] and moves the state forward only if it ends later.
    """
    configured_end = parse_day(end_date, "SOURCES__CLOUDFLARE__END_DATE")
    configured_start = parse_day(start_date, "SOURCES__CLOUDFLARE__START_DATE")
    check_common("cloudflare", token=api_token, token_field="api_token", base_url=base_url,
                 base_url_example=DEFAULT_BASE_URL, timeout_seconds=timeout_seconds,
                 max_retry_seconds=max_retry_seconds, lookback_days=lookback_days,
                 start=configured_start, end=configured_end)
    check_account_ids(account_ids, "SOURCES__CLOUDFLARE__ACCOUNT_IDS")
    check_number(concurrency, "SOURCES__CLOUDFLARE__CONCURRENCY", minimum=1, whole=True)
    today = configured_end or pendulum.today("UTC").date()
    first_day = configured_start or first_of_last_month(today)
    backfill = (parse_day(backfill_start, "--start"), parse_day(backfill_end, "--end"))
    policy = RetryPolicy(timeout_seconds=timeout_seconds, max_retry_seconds=max_retry_seconds)
    client = cloudflare_client(base_url, api_token, policy, max_connections=max(concurrency, 1))
    report = report or SourceReport("cloudflare_billing")

    def plan_windows(last_loaded: dict[str, str]) -> list[tuple[str, tuple[date, date]]]:
        plan = []
        for account in account_ids:
            start = backfill[0] or first_day_to_read(last_loaded.get(account), first_day, lookback_days)
            end = backfill[1] or today
            plan += [(account, window) for window in date_windows(start, end, MAX_WINDOW_DAYS)]
        return plan

    @dlt.resource(name=TABLE, primary_key="record_key", write_disposition=MERGE_DEDUPLICATED)
    def billable_usage() -> Iterator[Any]:
        state = dlt.current.resource_state()
        last_loaded: dict[str, str] = state.setdefault("last_loaded_day", {})
        plan = plan_windows(last_loaded)
        windows_left = Counter(account for account, _ in plan)
        refused: set[str] = set()
        # a cron run's look-back days that changed nothing are not loaded again (sources/rereads.py)
        rereads = RereadFilter(state, None if backfill[0] else horizon(today, lookback_days))
        spans: dict[str, tuple[date, date]] = {}
        for account, (start, end) in plan:
            spans[account] = (spans.get(account, (start, end))[0], end)
        scopes = {account: rereads.scope(account, span, "charge_period_start", ["record_key"])
                  for account, span in spans.items()}
        batch = ArrowBatcher()
        progress = RequestProgress(len(plan), client, concurrency, "cloudflare_billing")

        def fetch(job: tuple[str, tuple[date, date]]) -> Any:
            account, (start, end) = job
            return fetch_window(client, account, start, end, metric)

        try:
            for (account, (start, end)), outcome in ordered_map(fetch, plan, concurrency):
                progress.advance()
                if account in refused:
                    continue
                if isinstance(outcome, (MalformedBody, ApiStatusError)):
                    # what the account's earlier windows brought still loads
                    held = scopes[account].abandon()
                    if held is not None:
                        full = batch.add(held)
                        if full is not None:
                            yield full
                if isinstance(outcome, MalformedBody):
                    # the window is not loaded, so the account's state must not pass it
                    refused.add(account)
                    report.add(rejected=1)
                    yield quarantined("cloudflare_billing", [Rejection(
                        outcome.body.decode("utf-8", "replace"), outcome.reason, f"{account}:{start}..{end}")])
                    continue
                if isinstance(outcome, ApiStatusError):
                    error = classify(outcome, account, "billable usage v2 (Alpha, Restricted)", PERMISSION)
                    if not isinstance(error, AccessRefused):
                        raise error
                    refused.add(account)
                    report.not_covered[account] = error.message
                    continue
                if isinstance(outcome, BaseException):
                    raise outcome
                table, rejections = outcome
                report.add(windows=1, rejected=len(rejections))
                scope = scopes[account]
                for rows in (scope.take(table), scope.finish() if windows_left[account] == 1 else None):
                    full = batch.add(rows) if rows is not None else None
                    if full is not None:
                        yield full
                if rejections:
                    yield quarantined("cloudflare_billing", rejections)
                windows_left[account] -= 1
                if windows_left[account] == 0:
                    last_loaded[account] = scope.next_mark(last_loaded.get(account), end.isoformat())
            rest = batch.flush()
            if rest is not None:
                yield rest
        finally:
            progress.close()
            report.requests += client.requests
            client.close()

    # A first load, or a backfill past everything loaded, holds no key the table has: append it.
    loaded = loaded_marks(TABLE, "last_loaded_day")
    if loaded is not None and holds_no_loaded_day(plan_windows(loaded), loaded):
        log.debug("cloudflare_billing: no planned day is loaded yet: appending instead of merging")
        billable_usage.apply_hints(write_disposition="append")
    return billable_usage


def holds_no_loaded_day(plan: list[tuple[str, tuple[date, date]]], last_loaded: dict[str, str]) -> bool:
    """True when every planned window starts after the last day loaded for its account."""
    return all(account not in last_loaded or start.isoformat() > last_loaded[account]
               for account, (start, _) in plan)

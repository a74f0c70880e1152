"""Fetching one account-window of billable usage and shaping it into a typed, keyed Arrow table."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.errors import UsageError
from sources.arrow_records import Rejection, key_column, parse_page, reject_missing, snake_case_columns
from sources.cloudflare_billing.settings import KEY_PARTS, RECORD_TYPE, REQUIRED, USAGE_PATH
from sources.cloudflare_api import check_envelope_body
from sources.http_client import ApiClient, MalformedBody


def parse_day(value: str | date | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{name} must be a date like 2026-07-03, got {value!r}") from None


def first_day_to_read(last_loaded: str | None, start_date: date, lookback_days: int) -> date:
    """Where an incremental run starts: a look-back before the last loaded day, or the configured start."""
    if last_loaded is None:
        return start_date
    return max(date.fromisoformat(last_loaded) - timedelta(days=lookback_days), start_date)


def shape_records(table: pa.Table, position: str) -> tuple[pa.Table, list[Rejection]]:
    """Snake-case the FOCUS names, quarantine rows without a key, and add the one-column merge key."""
    table = snake_case_columns(table)
    table, rejections = reject_missing(table, REQUIRED, position)
    key = pa.field("record_key", pa.string(), nullable=False)
    return last_per_key(table.append_column(key, key_column(table, KEY_PARTS))), rejections


def last_per_key(table: pa.Table) -> pa.Table:
    """A response that repeats a key keeps its last record, as the merge would: one row per key per load."""
    keys = table.column("record_key")
    if pc.count_distinct(keys).as_py() == table.num_rows:
        return table
    last = {key: i for i, key in enumerate(keys.to_pylist())}
    return table.take(sorted(last.values()))


def parse_usage(body: bytes, position: str) -> tuple[pa.Table, list[Rejection], dict]:
    """The records of one response, once its envelope says it succeeded. The envelope is read again (a full
    JSON parse) only when it may have failed: the fast path's fields say success is not true, or no records
    came back (a `result: null` reads as an empty list there)."""
    try:
        table, rejections, others = parse_page(body, "result", RECORD_TYPE, position)
    except MalformedBody:
        check_envelope_body(body)  # a failed envelope is the provider's error, not a malformed body
        raise
    if others.get("success") is not True or (table.num_rows == 0 and not rejections):
        check_envelope_body(body)
    return table, rejections, others


def fetch_window(client: ApiClient, account_id: str, start: date, end: date, metric: str | None
                 ) -> tuple[pa.Table, list[Rejection]]:
    params = {"from": start.isoformat(), "to": end.isoformat()}
    if metric:
        params["metric"] = metric
    position = f"{account_id}:{start}..{end}"
    table, rejections, _ = client.request("GET", USAGE_PATH.format(account_id=account_id), params=params,
                                          parse=lambda response: parse_usage(response.content, position))
    shaped, missing = shape_records(table, position)
    return shaped, rejections + missing

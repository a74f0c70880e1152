"""AI Gateway requests and record shaping: millisecond buckets to UTC timestamps, exact decimals."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal

import pyarrow as pa

from pipelines.errors import ProviderFailing
from sources.ai_gateway.settings import BUCKET, SPENDING_LIMIT_PATH, USAGE_HISTORY_PATH
from sources.cloudflare_api import check_envelope
from sources.exact_numbers import exact
from sources.http_client import ApiClient, MalformedBody

USAGE_SCHEMA = pa.schema([
    pa.field("account_id", pa.string(), nullable=False),
    pa.field("value_grouping_window", pa.string(), nullable=False),
    pa.field("id", pa.string(), nullable=False),
    pa.field("aggregated_value", pa.decimal128(38, 10)),
    pa.field("start_time", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("end_time", pa.timestamp("us", tz="UTC")),
])


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(value: Decimal | float | int | None) -> datetime | None:
    if value is None:
        return None
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=int(Decimal(value)))


def _json(response) -> dict:  # noqa: ANN001 - an httpx.Response
    """Numbers as Decimal: the SDK types them float64, so they come with float expansions; never a float here."""
    try:
        payload = json.loads(response.content, parse_float=Decimal, parse_constant=Decimal)
    except (ValueError, RecursionError) as exc:
        raise MalformedBody(f"response is not valid JSON ({exc})", response.content) from None
    if not isinstance(payload, dict):
        raise MalformedBody("response is not a JSON object", response.content)
    check_envelope(payload)
    return payload


def usage_rows(payload: dict, account_id: str, grain: str) -> tuple[list[dict], list[tuple[dict, str]]]:
    """Buckets as rows; a bucket without id or start time cannot be keyed and is returned as rejected."""
    rows, rejected = [], []
    for bucket in (payload.get("result") or {}).get("history") or []:
        try:
            value = bucket.get("aggregated_value")
            number = None if value is None else exact(value)
            if value is not None and number is None:
                raise ValueError(f"aggregated_value {value} is not a number DECIMAL(38,10) can hold")
            rows.append({
                "account_id": account_id, "value_grouping_window": grain, "id": str(bucket["id"]),
                "aggregated_value": number,
                "start_time": from_ms(bucket["start_time"]), "end_time": from_ms(bucket.get("end_time")),
            })
        except (KeyError, TypeError, ValueError, ArithmeticError, OverflowError) as exc:
            rejected.append((bucket, f"unreadable bucket: {type(exc).__name__} {exc}"))
    return rows, rejected


def fetch_usage(client: ApiClient, account_id: str, grain: str, start: datetime, end: datetime
                ) -> tuple[pa.Table, list[tuple[dict, str]]]:
    """Buckets starting in [start, end). When the envelope says `result_info.has_more`, the answer was cut
    short: the window is split in two at a bucket boundary and each half asked again (recursively), so a
    bucket is neither lost nor read twice (each starts in exactly one half)."""
    payload = client.request("GET", USAGE_HISTORY_PATH.format(account_id=account_id), parse=_json, params={
        "value_grouping_window": grain, "start_time": to_ms(start), "end_time": to_ms(end)})
    if (payload.get("result_info") or {}).get("has_more"):
        size = BUCKET[grain]
        middle = start + (end - start) // 2
        middle = start + (middle - start) // size * size
        if middle <= start:
            raise ProviderFailing(
                f"Cloudflare AI Gateway: usage history for account {account_id} has more than one page for a "
                f"single {grain} bucket ({start.isoformat()}); it cannot be split further.")
        first, rejected_first = fetch_usage(client, account_id, grain, start, middle)
        second, rejected_second = fetch_usage(client, account_id, grain, middle, end)
        return pa.concat_tables([first, second]), rejected_first + rejected_second
    rows, rejected = usage_rows(payload, account_id, grain)
    return pa.Table.from_pylist(rows, schema=USAGE_SCHEMA), rejected


def fetch_limit(client: ApiClient, account_id: str) -> dict:
    """The account's limit as a history row; config fields may be null (no limit configured)."""
    payload = client.request("GET", SPENDING_LIMIT_PATH.format(account_id=account_id), parse=_json)
    result = payload.get("result") or {}
    config = result.get("config") or {}
    amount = config.get("amount")  # the SDK types it float: whole cents, half-even, however it is written
    cents = None if amount is None else int(Decimal(amount).to_integral_value(ROUND_HALF_EVEN))
    return {"account_id": account_id, "enabled": bool(result.get("enabled")),
            "amount": cents, "duration": config.get("duration"),
            "strategy": config.get("strategy")}

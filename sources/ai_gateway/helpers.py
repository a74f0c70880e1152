"""AI Gateway requests and record shaping: millisecond buckets to UTC timestamps, exact decimals."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import orjson
import pyarrow as pa

from sources.ai_gateway.settings import SPENDING_LIMIT_PATH, USAGE_HISTORY_PATH
from sources.cloudflare_api import check_envelope
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


def from_ms(value: float | int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(float(value) / 1000, timezone.utc)


def _json(response) -> dict:  # noqa: ANN001 - an httpx.Response
    try:
        document = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"response is not valid JSON ({exc})", response.content) from None
    check_envelope(document)
    return document


def usage_rows(payload: dict, account_id: str, grain: str) -> tuple[list[dict], list[tuple[dict, str]]]:
    """Buckets as rows; a bucket without id or start time cannot be keyed and is returned as rejected."""
    rows, rejected = [], []
    for bucket in (payload.get("result") or {}).get("history") or []:
        try:
            value = bucket.get("aggregated_value")
            rows.append({
                "account_id": account_id, "value_grouping_window": grain, "id": str(bucket["id"]),
                "aggregated_value": None if value is None else Decimal(repr(value)),
                "start_time": from_ms(bucket["start_time"]), "end_time": from_ms(bucket.get("end_time")),
            })
        except (KeyError, TypeError, ValueError, ArithmeticError, OverflowError) as exc:
            rejected.append((bucket, f"unreadable bucket: {type(exc).__name__} {exc}"))
    return rows, rejected


def fetch_usage(client: ApiClient, account_id: str, grain: str, start: datetime, end: datetime
                ) -> tuple[pa.Table, list[tuple[dict, str]]]:
    payload = client.request("GET", USAGE_HISTORY_PATH.format(account_id=account_id), parse=_json, params={
        "value_grouping_window": grain, "start_time": to_ms(start), "end_time": to_ms(end)})
    rows, rejected = usage_rows(payload, account_id, grain)
    return pa.Table.from_pylist(rows, schema=USAGE_SCHEMA), rejected


def fetch_limit(client: ApiClient, account_id: str) -> dict:
    """The account's limit as a history row; config fields may be null (no limit configured)."""
    payload = client.request("GET", SPENDING_LIMIT_PATH.format(account_id=account_id), parse=_json)
    result = payload.get("result") or {}
    config = result.get("config") or {}
    amount = config.get("amount")
    return {"account_id": account_id, "enabled": bool(result.get("enabled")),
            "amount": None if amount is None else int(amount), "duration": config.get("duration"),
            "strategy": config.get("strategy")}

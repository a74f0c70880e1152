"""Venice billing over HTTP: `GET /api/v1/billing/usage-history` (cursor) and the legacy `/billing/usage`.

usage-history: `startTimestamp` inclusive, `endTimestamp` exclusive, `currency`, `pageSize` 10..1000; a
continuation carries only `cursor`. The cursor is base64 JSON of the walk (its end, filter, page size,
the (timestamp, tiebreak) of the last row served) and its issue time. Without `endTimestamp` the walk
ends at the moment the first page was asked for, so pages stay stable while new usage arrives.
Legacy usage: `startDate`/`endDate` both inclusive, offset pages of `limit` (1..500, default 200),
`sortOrder` desc by default, totals in the body and in x-pagination-* headers.
JSON, or CSV with `Accept: text/csv` (next cursor in `x-next-cursor`).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import math
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import orjson

from pipelines.sandbox.replies import Reply, Request, json_reply
from pipelines.sandbox.venice_charges import CSV_COLUMNS, DOTTED_CSV_COLUMNS, Charge, charge_json, served_texts

if TYPE_CHECKING:
    from pipelines.sandbox.cloudflare_api import Budget
    from pipelines.sandbox.sandbox import Sandbox

VENICE_ADMIN_KEY = "venice-sandbox-admin-4Rt8Wq"
VENICE_INFERENCE_KEY = "venice-sandbox-inference-1Mn5"
CURRENCIES = ("USD", "VCU", "DIEM", "BUNDLED_CREDITS")
HISTORY_FILTERS = ("startTimestamp", "endTimestamp", "currency", "pageSize")
LEGACY_GONE = "This endpoint was removed on 2026-09-16; use GET /api/v1/billing/usage-history"


class BadRequest(Exception):
    def __init__(self, message: str, details: object = None):
        super().__init__(message)
        self.reply = json_reply(400, {"error": message, "details": details or {}})


def venice_error(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> Reply:
    return json_reply(status, {"error": message}, headers)


def venice_rate_limited(wait_seconds: float) -> Reply:
    reset = str(math.ceil(time.time() + wait_seconds))
    return venice_error(429, "Rate limit exceeded", [("x-ratelimit-reset-requests", reset)])


def rate_headers(budget: "Budget", limit: int) -> list[tuple[str, str]]:
    """Venice's rate-limit headers: what is left of the window and when it resets (a Unix time)."""
    reset = str(math.ceil(time.time() + budget.reset_seconds))
    return [("x-ratelimit-limit-requests", str(limit)), ("x-ratelimit-remaining-requests", str(budget.remaining)),
            ("x-ratelimit-reset-requests", reset)]


def handle(sb: Sandbox, request: Request) -> Reply:
    token = request.bearer()
    if token == VENICE_INFERENCE_KEY:
        return venice_error(401, "Billing requires an ADMIN API key; this is an INFERENCE key")
    if token != VENICE_ADMIN_KEY:
        return venice_error(401, "Authentication failed")
    if request.method != "GET":
        return venice_error(405, f"Method {request.method} not allowed")
    try:
        if request.path == "/api/v1/billing/usage-history":
            return _usage_history(sb, request)
        if request.path == "/api/v1/billing/usage":
            return venice_error(410, LEGACY_GONE) if sb.venice_legacy_gone else _legacy_usage(sb, request)
    except BadRequest as exc:
        return exc.reply
    return venice_error(404, f"Not found: {request.path}")


# --- usage-history -----------------------------------------------------------------------------
def _usage_history(sb: Sandbox, request: Request) -> Reply:
    query = request.query
    if "cursor" in query:
        mixed = [name for name in query if name != "cursor"]
        if mixed:
            raise BadRequest("cursor cannot be combined with other parameters",
                             {"cursor": "a continuation carries only the cursor", "conflicting": mixed})
        walk = _decode_cursor(query["cursor"])
        expired = time.time() - walk["i"] > sb.venice_cursor_ttl_seconds
        fault = sb.take_fault(request.path, "expire_cursor")
        if fault or expired:  # the spec names no wording: "expired, tampered with, or issued to another user"
            message = str(fault.params.get("message", "Cursor expired")) if fault else sb.venice_cursor_rejection
            raise BadRequest(message, {"cursor": "start the walk again with startTimestamp"})
    else:
        now_ms = sb.now_ms()
        start = _instant(query, "startTimestamp", sb.venice_first_ms)
        end = _instant(query, "endTimestamp", now_ms)
        if start > end:
            raise BadRequest("startTimestamp must not be after endTimestamp", {"startTimestamp": query.get(
                "startTimestamp"), "endTimestamp": query.get("endTimestamp")})
        walk = {"e": end, "c": _currency(query), "n": _int(query, "pageSize", 1000, 10, 1000),
                "t": start, "b": float("-inf")}
    end_ms = min(walk["e"], sb.now_ms())
    rows, more = sb.venice.after((walk["t"], walk["b"]), end_ms, walk["c"], walk["n"])
    cursor = None
    if more:
        cursor = _encode_cursor({**walk, "t": rows[-1].ts, "b": rows[-1].tiebreak, "i": time.time()})
    if "cursor" in query and sb.take_fault(request.path, "repeat_cursor"):
        cursor = query["cursor"]  # a broken server: the same page and the same cursor again
    if _wants_csv(request):
        headers = [("x-next-cursor", cursor)] if cursor else []
        return Reply(200, to_csv(rows, header=sb.venice_csv_header), "text/csv; charset=utf-8", headers)
    return json_page(rows, False, '"nextCursor":' + orjson.dumps(cursor).decode())


def _encode_cursor(walk: dict) -> str:
    walk = {**walk, "b": walk["b"] if math.isfinite(walk["b"]) else None}
    return base64.urlsafe_b64encode(orjson.dumps(walk)).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict:
    try:
        walk = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        walk["b"] = float("-inf") if walk["b"] is None else float(walk["b"])
        if not all(key in walk for key in "ectni"):
            raise KeyError("cursor field")
        return walk
    except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise BadRequest("Invalid cursor", {"cursor": "not a cursor this API issued"}) from None


# --- legacy usage ------------------------------------------------------------------------------
def _legacy_usage(sb: Sandbox, request: Request) -> Reply:
    query = request.query
    start = _instant(query, "startDate", sb.venice_first_ms)
    end = _instant(query, "endDate", None, inclusive_end=True)
    limit = _int(query, "limit", 200, 1, 500)
    page = _int(query, "page", 1, 1, None)
    order = query.get("sortOrder", "desc")
    if order not in ("asc", "desc"):
        raise BadRequest("Invalid sortOrder", {"sortOrder": "must be asc or desc"})
    if end is not None and start >= end:
        raise BadRequest("startDate must not be after endDate", {"startDate": query.get("startDate"),
                                                                 "endDate": query.get("endDate")})
    currency = _currency(query)
    end_ms = sb.now_ms() if end is None else min(end, sb.now_ms())
    total = sb.venice.count(start, end_ms, currency) if start < end_ms else 0
    rows = []
    if total:
        rows = sb.venice.page(start, end_ms, currency, (page - 1) * limit, limit, order == "desc")
    if rows and sb.take_fault(request.path, "insert_midwalk"):
        sb.venice.insert_before(rows[0], order == "desc", sb.venice.late_charge_texts())
    pages = -(-total // limit)
    headers = [("x-pagination-limit", str(limit)), ("x-pagination-page", str(page)),
               ("x-pagination-total", str(total)), ("x-pagination-total-pages", str(pages))]
    if _wants_csv(request):
        return Reply(200, to_csv(rows, legacy=True), "text/csv; charset=utf-8", headers)
    pagination = {"limit": limit, "page": page, "total": total, "totalPages": pages}
    reply = json_page(rows, True, '"pagination":' + orjson.dumps(pagination).decode())
    reply.headers = headers
    return reply


# --- shapes --------------------------------------------------------------------------------------
def json_page(rows: list[Charge], legacy: bool, tail: str) -> Reply:
    """`{"data": [...], <tail>}`, printed from the charges' texts (see venice_charges)."""
    body = '{"data":[' + ",".join([charge_json(row, legacy) for row in rows]) + "]," + tail + "}"
    return Reply(200, body.encode())


def to_csv(rows: list[Charge], legacy: bool = False, header: tuple[str, ...] | None = None) -> bytes:
    """Header row (`header` overrides it), then one row per charge; the numbers are the very digits the JSON
    carries."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header or (CSV_COLUMNS if legacy else DOTTED_CSV_COLUMNS))
    writer.writerows(served_texts(row, legacy) for row in rows)  # csv writes None as an empty field
    return buffer.getvalue().encode()


def _wants_csv(request: Request) -> bool:
    return "text/csv" in (request.headers.get("Accept") or "")


def _instant(query: dict[str, str], name: str, default: int | None, inclusive_end: bool = False
             ) -> int | None:
    """An ISO 8601 instant in ms (UTC when no offset). A date-only inclusive end means the whole day."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadRequest(f"Invalid {name}", {name: f"expected an ISO 8601 timestamp, got {raw!r}"}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    ms = int(moment.timestamp() * 1000)
    if inclusive_end:
        ms += 86_400_000 if len(raw) == 10 else 1
    return ms


def _int(query: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadRequest(f"Invalid {name}", {name: f"must be an integer {bounds}, got {raw!r}"})
    return value


def _currency(query: dict[str, str]) -> str | None:
    currency = query.get("currency")
    if currency is not None and currency not in CURRENCIES:
        raise BadRequest("Invalid currency", {"currency": f"must be one of {', '.join(CURRENCIES)}"})
    return currency

"""The four APIs' request handling, as their docs describe: paths, parameters, envelopes and errors."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, time as dtime, timezone
from typing import TYPE_CHECKING, Any

import orjson

from pipelines.sandbox.ai_gateway import default_window
from pipelines.sandbox.venice import (
    decode_cursor, encode_cursor, parse_iso_ms, to_csv, HOUR_MS,
)

if TYPE_CHECKING:
    from pipelines.sandbox.server import Fault, Reply, Sandbox

_CF_ACCOUNT = re.compile(r"^/client/v4/accounts/([^/]+)/(billable/usage|ai-gateway/billing/usage-history|"
                         r"ai-gateway/billing/spending-limit)$")
MAX_DAYS = 31


def api_of(path: str) -> str:
    if path.startswith("/_sandbox/"):
        return "control"
    if path.endswith("/billable/usage"):
        return "cloudflare_billing"
    if path.endswith("/usage-history") and path.startswith("/client/"):
        return "ai_gateway"
    if path.endswith("/spending-limit"):
        return "spending_limit"
    return "venice"


def _reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> "Reply":
    from pipelines.sandbox.server import json_reply

    return json_reply(status, payload, headers)


def cf_ok(result: Any, headers: dict[str, str] | None = None) -> "Reply":
    return _reply(200, {"success": True, "errors": [], "messages": [], "result": result}, headers)


def cf_error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> "Reply":
    return _reply(status, {"success": False, "errors": [{"code": code, "message": message}], "messages": [],
                           "result": None}, headers)


def fault_reply(api: str, fault: "Fault") -> "Reply":
    wait = int(fault.params.get("retry_after", 1))
    if api == "venice":
        if fault.kind == "rate_limit":
            return _reply(429, {"error": "Rate limit exceeded"},
                          {"x-ratelimit-reset-requests": str(int(time.time()) + wait)})
        return _reply(int(fault.params["status"]), {"error": "Internal server error"})
    if fault.kind == "rate_limit":
        return cf_error(429, 971, "Please wait and consider throttling your request speed", {"Retry-After": str(wait)})
    return cf_error(int(fault.params["status"]), 10002, "An unknown error has occurred")


def route(sb: "Sandbox", method: str, path: str, query: dict, headers: Any, body: bytes) -> "Reply":
    if path.startswith("/_sandbox/"):
        return _control(sb, method, path, body)
    match = _CF_ACCOUNT.match(path)
    if match:
        return _cloudflare(sb, method, match.group(1), match.group(2), query, headers, body)
    if path in ("/api/v1/billing/usage-history", "/api/v1/billing/usage"):
        return _venice(sb, path, query, headers)
    return _reply(404, {"error": f"no route for {path}"})


# --- Cloudflare ------------------------------------------------------------------------------
def _cloudflare(sb: "Sandbox", method: str, account: str, endpoint: str, query: dict, headers: Any,
                body: bytes) -> "Reply":
    allowed, remaining, reset = sb.cloudflare_rate()
    limit_headers = {"Ratelimit": f'"default";r={remaining};t={reset}',
                     "Ratelimit-Policy": f'"default";q={sb.rate_limit};w={sb.rate_window}'}
    if headers.get("Authorization") != f"Bearer {_cf_token()}":
        return cf_error(403, 10000, "Authentication error", limit_headers)
    if not allowed:
        return cf_error(429, 971, "Please wait and consider throttling your request speed",
                        {**limit_headers, "Retry-After": str(reset)})
    if account not in sb.account_ids or (endpoint == "billable/usage" and account in sb.restricted_accounts):
        return cf_error(403, 9109, "Unauthorized to access requested resource", limit_headers)
    if endpoint == "billable/usage":
        return _billable_usage(sb, account, query, limit_headers)
    if endpoint.endswith("usage-history"):
        return _usage_history(sb, account, query, limit_headers)
    return _spending_limit(sb, method, account, body, limit_headers)


def _cf_token() -> str:
    from pipelines.sandbox.server import CLOUDFLARE_TOKEN

    return CLOUDFLARE_TOKEN


def _billable_usage(sb: "Sandbox", account: str, query: dict, headers: dict) -> "Reply":
    raw_from, raw_to = query.get("from"), query.get("to")
    if (raw_from is None) != (raw_to is None):
        return cf_error(400, 10001, "from and to must be given together", headers)
    try:
        start = date.fromisoformat(raw_from) if raw_from else sb.today.replace(day=1)
        end = date.fromisoformat(raw_to) if raw_to else sb.today
    except ValueError:
        return cf_error(400, 10001, "from and to must be dates (YYYY-MM-DD)", headers)
    if start > end:
        return cf_error(400, 10001, "from must not be after to", headers)
    if (end - start).days + 1 > MAX_DAYS:
        return cf_error(400, 10001, f"the maximum date range is {MAX_DAYS} days", headers)
    records = sb.usage.records(account, start, end, sb.today, sb.first_day, query.get("metric"))
    return cf_ok(records, headers)


def _usage_history(sb: "Sandbox", account: str, query: dict, headers: dict) -> "Reply":
    grain = query.get("value_grouping_window")
    if grain not in ("hour", "day"):
        return cf_error(400, 10001, "value_grouping_window is required: hour or day", headers)
    now_ms = sb.now_ms()
    start_ms, end_ms = default_window(now_ms)
    try:
        start_ms = int(float(query["start_time"])) if "start_time" in query else start_ms
        end_ms = int(float(query["end_time"])) if "end_time" in query else end_ms
    except ValueError:
        return cf_error(400, 10001, "start_time and end_time are Unix timestamps in milliseconds", headers)
    first_ms = int(datetime.combine(sb.first_day, dtime(), timezone.utc).timestamp() * 1000)
    return cf_ok({"history": sb.ai.buckets(account, grain, start_ms, end_ms, now_ms, first_ms)}, headers)


def _spending_limit(sb: "Sandbox", method: str, account: str, body: bytes, headers: dict) -> "Reply":
    if method == "GET":
        return cf_ok(sb.ai.limits[account], headers)
    if method == "DELETE":
        sb.set_spending_limit(account, False, None, None, None)
        return cf_ok({}, headers)
    if sb.spending_limit_post_forbidden:
        return cf_error(403, 10405, "This endpoint is deprecated and always responds 403: account-level spending "
                                    "limits are now managed per gateway", headers)
    try:
        payload = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        return cf_error(400, 10001, "body must be JSON", headers)
    problem = sb.ai.validate_limit(payload if isinstance(payload, dict) else {})
    if problem:
        return cf_error(400, 10001, problem, headers)
    sb.set_spending_limit(account, True, payload["amount"], payload["duration"], payload["strategy"])
    return cf_ok({}, headers)


# --- Venice ----------------------------------------------------------------------------------
def _venice(sb: "Sandbox", path: str, query: dict, headers: Any) -> "Reply":
    from pipelines.sandbox.server import VENICE_ADMIN_KEY, VENICE_INFERENCE_KEY, Reply

    auth = headers.get("Authorization")
    if auth == f"Bearer {VENICE_INFERENCE_KEY}":
        return _reply(401, {"error": "This endpoint requires an ADMIN API key"})
    if auth != f"Bearer {VENICE_ADMIN_KEY}":
        return _reply(401, {"error": "Authentication failed"})
    csv_wanted = "text/csv" in (headers.get("Accept") or "")
    if path.endswith("/usage-history"):
        result = _venice_history(sb, query)
    else:
        if sb.venice_legacy_gone:
            return _reply(410, {"error": "This endpoint was removed on 2026-09-16; use GET "
                                         "/api/v1/billing/usage-history"})
        result = _venice_legacy(sb, path, query)
    if not isinstance(result, tuple):
        return result
    records, extra, headers_out = result
    if csv_wanted:
        return Reply(200, to_csv(records), headers_out, "text/csv")
    return _reply(200, {"data": records, **extra}, headers_out)


def _bad(message: str, details: Any = None) -> "Reply":
    return _reply(400, {"error": message, "details": details or {}})


def _venice_history(sb: "Sandbox", query: dict) -> Any:
    now_ms = sb.now_ms()
    if "cursor" in query:
        if set(query) != {"cursor"}:
            return _bad("Invalid request", {"cursor": "cannot be combined with other parameters"})
        walk = decode_cursor(query["cursor"])
        if walk is None:
            return _bad("Invalid cursor")
        if sb.take_fault("/usage-history", ("expire_cursor",)) or \
                time.time() - walk["t"] > sb.venice_cursor_ttl_seconds:
            return _bad("Cursor expired", {"cursor": "restart the query"})
    else:
        try:
            start = parse_iso_ms(query["startTimestamp"]) if "startTimestamp" in query else sb.venice.first_ms
            end = parse_iso_ms(query["endTimestamp"]) if "endTimestamp" in query else now_ms
            size = int(query.get("pageSize", 1000))
        except ValueError:
            return _bad("Invalid request", {"startTimestamp": "ISO 8601 expected"})
        if not 10 <= size <= 1000:
            return _bad("Invalid request", {"pageSize": "must be between 10 and 1000"})
        walk = {"s": start, "e": end, "c": query.get("currency"), "p": size, "h": start // HOUR_MS, "k": 0,
                "t": time.time()}
    page, hour, k, next_pos = [], walk["h"], walk["k"], None
    last_hour = (walk["e"] - 1) // HOUR_MS

    def hour_rows(h: int) -> list[dict]:
        return sb.venice.charges(max(walk["s"], h * HOUR_MS), min(walk["e"], (h + 1) * HOUR_MS), now_ms, walk["c"])

    while hour <= last_hour:
        available = hour_rows(hour)[k:]
        need = walk["p"] - len(page)
        if len(available) > need:  # the page fills inside this hour
            page.extend(available[:need])
            next_pos = (hour, k + need)
            break
        page.extend(available)
        hour, k = hour + 1, 0
        if len(page) == walk["p"]:  # full at an hour's end: is anything left after it?
            while hour <= last_hour and not hour_rows(hour):
                hour += 1
            next_pos = (hour, 0) if hour <= last_hour else None
            break
    cursor = encode_cursor({**walk, "h": next_pos[0], "k": next_pos[1]}) if next_pos else None
    return page, {"nextCursor": cursor}, ({"x-next-cursor": cursor} if cursor else {})


def _venice_legacy(sb: "Sandbox", path: str, query: dict) -> Any:
    now_ms = sb.now_ms()
    try:
        start = parse_iso_ms(query["startDate"]) if "startDate" in query else sb.venice.first_ms
        end = parse_iso_ms(query["endDate"]) + 1 if "endDate" in query else now_ms
        limit, page = int(query.get("limit", 200)), int(query.get("page", 1))
    except ValueError:
        return _bad("Invalid request", {"startDate": "ISO 8601 expected"})
    if not 0 < limit <= 500 or page < 1:
        return _bad("Invalid request", {"limit": "1..500", "page": ">= 1"})
    order = query.get("sortOrder", "desc")
    if order not in ("asc", "desc"):
        return _bad("Invalid request", {"sortOrder": "asc or desc"})
    records = sb.venice.charges(start, end, now_ms, query.get("currency"), legacy=True)
    if order == "desc":
        records.reverse()
    total = len(records)
    chunk = records[(page - 1) * limit: page * limit]
    if chunk and sb.take_fault(path, ("insert_midwalk",)):
        first_ts = parse_iso_ms(chunk[0]["timestamp"] if order == "asc" else chunk[-1]["timestamp"])
        sb.venice.insert_before(max(first_ts - 1, start))
    pages = -(-total // limit)
    pagination = {"limit": limit, "page": page, "total": total, "totalPages": pages}
    headers = {"x-pagination-limit": str(limit), "x-pagination-page": str(page), "x-pagination-total": str(total),
               "x-pagination-total-pages": str(pages)}
    return chunk, {"pagination": pagination}, headers


# --- control surface, for other processes (benchmarks, manual tests) ---------------------------
def _control(sb: "Sandbox", method: str, path: str, body: bytes) -> "Reply":
    payload = orjson.loads(body) if body else {}
    if path == "/_sandbox/requests" and method == "GET":
        return _reply(200, sb.requests)
    if path == "/_sandbox/faults" and method == "POST":
        params = {k: v for k, v in payload.items() if k not in ("path_regex", "kind", "times")}
        sb.add_fault(payload["path_regex"], payload["kind"], int(payload.get("times", 1)), **params)
        return _reply(200, {"ok": True})
    if path == "/_sandbox/today" and method == "POST":
        sb.set_today(date.fromisoformat(payload["today"]))
        return _reply(200, {"ok": True})
    if path == "/_sandbox/reset" and method == "POST":
        sb.clear_faults()
        sb.clear_requests()
        return _reply(200, {"ok": True})
    return _reply(404, {"error": f"no control route {method} {path}"})

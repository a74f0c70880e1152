"""The Cloudflare v4 API surface: envelope, error codes, per-token rate limit, and the three endpoints.

Error codes are the ones a client must tell apart: 10000 is the token itself ("Authentication error"),
9109 is an account this token may not read (a restricted alpha endpoint), 971 is the rate limit,
10405 is the deprecated spending-limit POST. Every Cloudflare answer carries the `Ratelimit` headers.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import orjson

from pipelines.sandbox.ai_gateway import DAY_MS, limit_problem
from pipelines.sandbox.replies import Reply, Request, reason

if TYPE_CHECKING:
    from pipelines.sandbox.sandbox import Sandbox

CLOUDFLARE_TOKEN = "cf-sandbox-token-7Qx93LzK"
MAX_RANGE_DAYS = 31
AUTH_ERROR = 10000
NO_ACCESS = 9109
INVALID_REQUEST = 10001
RATE_LIMITED = 971
DEPRECATED = 10405
_ROUTE = re.compile(r"^/client/v4/accounts/([^/]*)/(billable/usage|ai-gateway/billing/usage-history|"
                    r"ai-gateway/billing/spending-limit)/?$")
_ACCOUNT_TAG = re.compile(r"^[0-9a-f]{32}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def api_of(path: str) -> str:
    """Which API a /client/v4 path belongs to, for the request log."""
    if "/ai-gateway/billing/usage-history" in path:
        return "ai_gateway"
    if "/ai-gateway/billing/spending-limit" in path:
        return "spending_limit"
    return "cloudflare_billing"


def cf_ok(result: object) -> Reply:
    return cf_ok_json(orjson.dumps(result))


def cf_ok_json(result: bytes) -> Reply:
    """The success envelope around an already serialized result (billable usage builds its JSON itself)."""
    return Reply(200, b'{"success":true,"errors":[],"messages":[],"result":' + result + b"}")


def cf_error(status: int, code: int, message: str, headers: list[tuple[str, str]] | None = None) -> Reply:
    body = {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}
    return Reply(status, orjson.dumps(body), headers=headers or [])


def cf_status(status: int) -> Reply:
    """An error of the given status in Cloudflare's envelope (the `status` fault)."""
    return cf_error(status, 10002 if status >= 500 else INVALID_REQUEST, reason(status))


def cf_rate_limited(retry_after: float) -> Reply:
    return cf_error(429, RATE_LIMITED, "Please wait and consider throttling your request speed",
                    [("Retry-After", str(math.ceil(retry_after)))])


@dataclass(frozen=True)
class Budget:
    allowed: bool
    remaining: int
    reset_seconds: int

    def headers(self, limit: int, window: int) -> list[tuple[str, str]]:
        return [("Ratelimit", f'"default";r={self.remaining};t={self.reset_seconds}'),
                ("Ratelimit-Policy", f'"default";q={limit};w={window}')]


class RateLimiter:
    """Cloudflare's budget: `limit` requests per `window` seconds per token, in fixed windows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # token digest -> (window start, requests)

    def spend(self, token: str, limit: int, window: int) -> Budget:
        digest = hashlib.sha256(token.encode()).hexdigest()  # the token itself is never kept
        now = time.monotonic()
        with self._lock:
            started, used = self._windows.get(digest, (now, 0))
            if now - started >= window:
                started, used = now, 0
            allowed = used < limit
            used += int(allowed)
            self._windows[digest] = (started, used)
        return Budget(allowed, limit - used, max(1, math.ceil(started + window - now)))


def handle(sb: Sandbox, request: Request) -> Reply:
    """Route one authenticated-or-not Cloudflare request (the rate limit is already spent)."""
    if request.bearer() != CLOUDFLARE_TOKEN:
        return cf_error(403, AUTH_ERROR, "Authentication error")
    match = _ROUTE.match(request.path)
    if not match or not _ACCOUNT_TAG.match(match.group(1)):
        return cf_error(404, 7003,
                        f"Could not route to {request.path}, perhaps your object identifier is invalid?")
    account, endpoint = match.groups()
    if account not in sb.account_ids:
        return cf_error(403, NO_ACCESS, "Unauthorized to access requested resource")
    if endpoint == "billable/usage":
        if request.method != "GET":
            return cf_error(405, 7001, f"Method {request.method} not allowed for this endpoint")
        if account in sb.restricted_accounts:
            return cf_error(403, NO_ACCESS, "Unauthorized to access requested resource")
        return _billable_usage(sb, account, request.query)
    if endpoint.endswith("usage-history"):
        if request.method != "GET":
            return cf_error(405, 7001, f"Method {request.method} not allowed for this endpoint")
        return _usage_history(sb, account, request.query)
    return _spending_limit(sb, account, request)


# --- billable usage --------------------------------------------------------------------------------
def _billable_usage(sb: Sandbox, account: str, query: dict[str, str]) -> Reply:
    raw_from, raw_to = query.get("from"), query.get("to")
    if raw_from is None and raw_to is None:
        start, end = sb.today.replace(day=1), sb.today
    elif raw_from is None or raw_to is None:
        return cf_error(400, INVALID_REQUEST, "from and to must be given together (or both omitted)")
    else:
        start, end = _date(raw_from), _date(raw_to)
        if start is None or end is None:
            bad = "from" if start is None else "to"
            return cf_error(400, INVALID_REQUEST, f"{bad}: invalid date {query[bad]!r}, expected YYYY-MM-DD")
        if start > end:
            return cf_error(400, INVALID_REQUEST, f"from ({start}) must not be after to ({end})")
        days = (end - start).days + 1
        if days > MAX_RANGE_DAYS:
            return cf_error(400, INVALID_REQUEST, f"The maximum date range is {MAX_RANGE_DAYS} days; "
                                                  f"{start} to {end} is {days} days (to is inclusive)")
    metric = query.get("metric")
    if metric is not None and not 0 < len(metric) <= 128:
        return cf_error(400, INVALID_REQUEST, "metric: must be 1 to 128 characters")
    return cf_ok_json(sb.cloudflare.result_json(account, start, end, sb.today, metric))


def _date(raw: str) -> date | None:
    if not _DATE.match(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


# --- AI Gateway ----------------------------------------------------------------------------------
def _usage_history(sb: Sandbox, account: str, query: dict[str, str]) -> Reply:
    grain = query.get("value_grouping_window")
    if grain not in ("hour", "day"):
        return cf_error(400, INVALID_REQUEST, "value_grouping_window: required, one of hour, day")
    now_ms = sb.now_ms()
    try:
        end = _ms(query.get("end_time"), now_ms)
        start = _ms(query.get("start_time"), end - 7 * DAY_MS)
    except ValueError as exc:
        return cf_error(400, INVALID_REQUEST, str(exc))
    if start > end:
        return cf_error(400, INVALID_REQUEST, "start_time must not be after end_time")
    history = sb.gateway.buckets(account, grain, start, end, now_ms)
    limit = sb.gateway_max_buckets
    more = limit is not None and len(history) > limit
    info = {"count": min(len(history), limit) if more else len(history), "has_more": more}
    return Reply(200, b'{"success":true,"errors":[],"messages":[],"result":' + orjson.dumps(
        {"history": history[:limit] if more else history}) + b',"result_info":' + orjson.dumps(info) + b"}")


def _ms(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"start_time and end_time are Unix timestamps in milliseconds, got {raw!r}")
    return int(value)


def _spending_limit(sb: Sandbox, account: str, request: Request) -> Reply:
    if request.method == "GET":
        return cf_ok(sb.spending_limits.get(account))
    if request.method == "DELETE":
        sb.spending_limits.clear(account)
        return cf_ok({})
    if request.method != "POST":
        return cf_error(405, 7001, f"Method {request.method} not allowed for this endpoint")
    if sb.spending_limit_post_forbidden:
        return cf_error(403, DEPRECATED, "This endpoint is deprecated: account-level spending limits are now "
                                         "managed per gateway (set them on each AI Gateway instead)")
    try:
        body = orjson.loads(request.body or b"null")
    except orjson.JSONDecodeError:
        return cf_error(400, INVALID_REQUEST, "request body must be JSON")
    problem = limit_problem(body)
    if problem:
        return cf_error(400, INVALID_REQUEST, problem)
    sb.spending_limits.set(account, True, body["amount"], body["duration"], body["strategy"])
    return cf_ok({})

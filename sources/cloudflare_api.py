"""What every Cloudflare endpoint shares: the v4 envelope, its error codes, and the per-token rate limit."""

from __future__ import annotations

import re
import threading

import httpx
import orjson

from pipelines.errors import AccessRefused, CredentialsRejected, FinopsError, ProviderFailing, UsageError
from sources.http_client import ApiClient, ApiStatusError, RetryPolicy, SlidingWindowLimiter
from sources.quota import Quota, QuotaGate

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
# The cap on requests in flight (SOURCES__CLOUDFLARE__CONCURRENCY); within it, the `Ratelimit` header decides.
DEFAULT_CONCURRENCY = 16
AUTH_ERROR_CODE = 10000  # "Authentication error": the token itself, not the account's access
# 1200 requests per 5 minutes per token; past it Cloudflare blocks every call for 5 minutes.
RATE_LIMIT_REQUESTS = 1200
RATE_LIMIT_SECONDS = 300
# Pause when the server says this few requests remain in its window (Ratelimit header).
PACING_RESERVE = 10
# Requests the quota gate leaves unspent in each window (raise it if another client shares the token).
QUOTA_RESERVE = 0

_limiters: dict[int, SlidingWindowLimiter] = {}
_gates: dict[int, QuotaGate] = {}
_limiters_lock = threading.Lock()
# one parameter of a `Ratelimit` list item (IETF draft): `"default";r=50;t=30, "burst";r=2;t=1`
_PARAM = re.compile(r";\s*([a-z]+)=(\d+)")


def _shared_limiter(token: str) -> SlidingWindowLimiter:
    """One limiter per token in this process: billing and AI Gateway draw on the same budget."""
    with _limiters_lock:
        return _limiters.setdefault(hash(token), SlidingWindowLimiter(RATE_LIMIT_REQUESTS, RATE_LIMIT_SECONDS))


def _shared_gate(token: str, base_url: str) -> QuotaGate:
    """One quota gate per token and API: in flight is what the `Ratelimit` header leaves room for, across
    sources (billing and AI Gateway draw on the same budget)."""
    with _limiters_lock:
        return _gates.setdefault(hash((token, base_url)), QuotaGate(reserve=QUOTA_RESERVE))


def describe_error(response: httpx.Response) -> ApiStatusError:
    code, message = None, response.reason_phrase or "error"
    try:
        errors = orjson.loads(response.content).get("errors") or []
        if errors:
            code, message = errors[0].get("code"), errors[0].get("message") or message
    except (orjson.JSONDecodeError, AttributeError):
        pass
    retry_after = response.headers.get("Retry-After")
    wait = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
    return ApiStatusError(response.status_code, message, code=code, wait_seconds=wait)


class FailedEnvelope(ApiStatusError):
    """An HTTP 200 whose envelope says the call failed (`success: false`, or no `result` where one is due).

    A provider error, retried like a 5xx and then exit 4: taken as an empty result, it would let the high-water
    mark pass days that were never read."""

    @property
    def retryable(self) -> bool:
        return True


def check_envelope(document: object) -> None:
    """Raise FailedEnvelope unless `document` is a successful v4 envelope with a result."""
    if not isinstance(document, dict):
        return  # not an envelope at all: the parser's (MalformedBody's) business
    if document.get("success") is not True:
        errors = document.get("errors") or []
        detail = "; ".join(f"code {e.get('code')}: {e.get('message')}" if isinstance(e, dict) else str(e)
                           for e in errors) or "no errors listed"
        raise FailedEnvelope(200, f"success: {orjson.dumps(document.get('success')).decode()} ({detail})")
    if document.get("result") is None:
        raise FailedEnvelope(200, "success: true but result: null")


def check_envelope_body(body: bytes) -> None:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return
    check_envelope(document)


def _items(response: httpx.Response, header: str, keys: tuple[str, str]) -> list[tuple[int, int]]:
    items = []
    for value in response.headers.get_list(header):
        for item in value.split(","):
            params = dict(_PARAM.findall(item))
            if all(key in params for key in keys):
                items.append((int(params[keys[0]]), int(params[keys[1]])))
    return items


def quota(response: httpx.Response) -> Quota | None:
    """The `Ratelimit` item with the fewest requests left (IETF draft: one item per policy), and the window's
    size from `Ratelimit-Policy` (`q` requests per `w` seconds; the smallest `q`)."""
    items = _items(response, "Ratelimit", ("r", "t"))
    if not items:
        return None
    remaining, reset = min(items)
    policies = _items(response, "Ratelimit-Policy", ("q", "w"))
    limit, window = min(policies) if policies else (None, None)
    return Quota(remaining, float(reset), limit, window)


def pacing(response: httpx.Response) -> float | None:
    """Seconds to hold back when the `Ratelimit` header says a window is nearly used up."""
    found = quota(response)
    if found is not None and found.remaining <= PACING_RESERVE:
        return found.reset_seconds
    return None


def cloudflare_client(base_url: str, api_token: str, policy: RetryPolicy, max_connections: int = 8) -> ApiClient:
    return ApiClient("Cloudflare", base_url, api_token, policy=policy, describe_error=describe_error,
                     limiter=_shared_limiter(api_token), gate=_shared_gate(api_token, base_url), read_quota=quota,
                     max_connections=max_connections)


def classify(exc: ApiStatusError, account_id: str, what: str, permission: str) -> FinopsError:
    """Turn a final (non-retried) Cloudflare error into the exception whose exit code cron acts on."""
    detail = f"HTTP {exc.status}" + (f", code {exc.code}" if exc.code is not None else "") + f": {exc.message}"
    if exc.status == 401 or (exc.status == 403 and exc.code in (AUTH_ERROR_CODE, None)):
        return CredentialsRejected(
            f"Cloudflare rejected the API token for account {account_id} ({detail}). Check "
            f"SOURCES__CLOUDFLARE__API_TOKEN: it must be a valid, unexpired token with '{permission}' "
            f"permission on that account."
        )
    if exc.status in (403, 404):
        return AccessRefused(
            f"account {account_id}: Cloudflare refused {what} ({detail}). Ask Cloudflare to enable it for "
            f"this account, and check the token has '{permission}' on it."
        )
    if exc.status == 400:
        return UsageError(f"Cloudflare refused the request for account {account_id} ({detail}).")
    return ProviderFailing(f"Cloudflare failed for account {account_id} ({detail}).")

"""What every Cloudflare endpoint shares: the v4 envelope, its error codes, and the per-token rate limit."""

from __future__ import annotations

import re
import threading

import httpx
import orjson

from pipelines.errors import AccessRefused, CredentialsRejected, FinopsError, ProviderFailing, UsageError
from sources.http_client import ApiClient, ApiStatusError, RetryPolicy, SlidingWindowLimiter

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
AUTH_ERROR_CODE = 10000  # "Authentication error": the token itself, not the account's access
# 1200 requests per 5 minutes per token; past it Cloudflare blocks every call for 5 minutes.
RATE_LIMIT_REQUESTS = 1200
RATE_LIMIT_SECONDS = 300
# Pause when the server says this few requests remain in its window (Ratelimit header).
PACING_RESERVE = 10

_limiters: dict[int, SlidingWindowLimiter] = {}
_limiters_lock = threading.Lock()
_RATELIMIT = re.compile(r"r=(\d+).*?t=(\d+)")


def _shared_limiter(token: str) -> SlidingWindowLimiter:
    """One limiter per token in this process: billing and AI Gateway draw on the same budget."""
    with _limiters_lock:
        return _limiters.setdefault(hash(token), SlidingWindowLimiter(RATE_LIMIT_REQUESTS, RATE_LIMIT_SECONDS))


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


def pacing(response: httpx.Response) -> float | None:
    """Seconds to hold back when the `Ratelimit` header says the window is nearly used up."""
    match = _RATELIMIT.search(response.headers.get("Ratelimit", ""))
    if match and int(match.group(1)) <= PACING_RESERVE:
        return float(match.group(2))
    return None


def cloudflare_client(base_url: str, api_token: str, policy: RetryPolicy, max_connections: int = 8) -> ApiClient:
    return ApiClient("Cloudflare", base_url, api_token, policy=policy, describe_error=describe_error,
                     limiter=_shared_limiter(api_token), read_pacing=pacing, max_connections=max_connections)


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

"""One HTTP client for every provider: httpx for transport, tenacity for retries, a pacer for rate limits.

Why not hand loops: retry policy is the part that must be right under 429 storms and resets, so it is
declared once here (which failures, how long, what the provider asked us to wait) and every source
shares it. The token lives only in the httpx default headers; nothing here formats headers or URLs
with secrets into messages.
"""

from __future__ import annotations

import functools
import random
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

import httpx
import tenacity

from pipelines.errors import ProviderFailing, UsageError
from pipelines.logs import register_secret
from sources.quota import Quota, QuotaGate

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every client of the run, made as httpx makes its default (certifi's CA bundle, or
    SSL_CERT_FILE / SSL_CERT_DIR): loading the bundle costs ~50 ms a client, a tenth of a run with nothing new."""
    return httpx.create_ssl_context()


@dataclass(frozen=True)
class RetryPolicy:
    """Cloudflare's SDKs: 0.5 s x 2^n, capped at 8 s, 25% jitter. Bounded by total time, not attempts."""

    timeout_seconds: float = 30.0
    max_retry_seconds: float = 120.0
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 8.0


class ApiStatusError(Exception):
    """A non-2xx answer. `wait_seconds` is the provider's own wait signal, if it sent one."""

    def __init__(self, status: int, message: str, *, code: int | None = None, wait_seconds: float | None = None,
                 body: bytes = b""):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.code = code
        self.wait_seconds = wait_seconds
        self.body = body

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE_STATUS


class MalformedBody(Exception):
    """A 2xx whose body we could not parse. Retried (a truncated body is usually transient), then quarantined;
    `retryable=False` for a body that parsed but cannot be mapped (asking again gives the same body)."""

    def __init__(self, reason: str, body: bytes, retryable: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.body = body
        self.retryable = retryable


# Raised before anything reaches the network (a header httpx refuses, a scheme it cannot speak): our
# configuration, not the provider; retrying cannot help.
LOCAL_ERRORS = (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL)


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, ApiStatusError):
        return exc.retryable
    if isinstance(exc, LOCAL_ERRORS):
        return False
    if isinstance(exc, MalformedBody):
        return exc.retryable
    return isinstance(exc, httpx.TransportError)


class SlidingWindowLimiter:
    """At most `max_requests` starts in any `per_seconds` window, shared by the threads of one client.

    Cloudflare blocks a token for five minutes once it passes 1200 requests per 5 minutes, so the
    client never sends the 1201st rather than learning about the limit from a 429.
    """

    def __init__(self, max_requests: int, per_seconds: float):
        self.max_requests = max_requests
        self.per_seconds = per_seconds
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()
        self._paused_until = 0.0

    def pause_until(self, monotonic_deadline: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, monotonic_deadline)

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                while self._starts and now - self._starts[0] >= self.per_seconds:
                    self._starts.popleft()
                wait = self._paused_until - now
                if wait <= 0 and len(self._starts) < self.max_requests:
                    self._starts.append(now)
                    return
                if wait <= 0:
                    wait = self.per_seconds - (now - self._starts[0])
            time.sleep(min(max(wait, 0.01), 5.0))


class ApiClient:
    """A provider's base URL and bearer token, with retries, timeouts, pacing and a request counter."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        token: str,
        *,
        policy: RetryPolicy,
        describe_error: Callable[[httpx.Response], ApiStatusError],
        limiter: SlidingWindowLimiter | None = None,
        read_pacing: Callable[[httpx.Response], float | None] | None = None,
        gate: QuotaGate | None = None,
        read_quota: Callable[[httpx.Response], Quota | None] | None = None,
        max_connections: int = 8,
    ):
        self.provider = provider
        register_secret(token)
        self.policy = policy
        self.requests = 0
        self.seconds = 0.0  # time spent waiting on answers, summed over requests (the mean feeds an ETA)
        self._describe_error = describe_error
        self._limiter = limiter
        self._read_pacing = read_pacing
        self.gate = gate
        self._read_quota = read_quota
        self._count_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "finops-etl"},
            timeout=httpx.Timeout(policy.timeout_seconds),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            verify=_tls_context(),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def request(self, method: str, path: str, *, parse: Callable[[httpx.Response], Any] = lambda r: r,
                **kwargs: Any) -> Any:
        """Send with retries; `parse` runs inside the retry so a truncated body is fetched again."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_is_retryable),
            wait=self._wait,
            stop=tenacity.stop_after_delay(self.policy.max_retry_seconds),
            reraise=True,
        )
        try:
            return retrying(self._send_once, method, path, parse, kwargs)
        except LOCAL_ERRORS as exc:
            raise UsageError(
                f"{self.provider}: the request could not be sent ({method} {path}): {type(exc).__name__}: {exc}. "
                f"Check the provider's BASE_URL and token settings."
            ) from None
        except (httpx.TransportError, ApiStatusError, MalformedBody) as exc:
            if _is_retryable(exc) and not isinstance(exc, MalformedBody):
                raise ProviderFailing(
                    f"{self.provider}: still failing after {self.policy.max_retry_seconds:g}s of retries "
                    f"({method} {path}): {_describe(exc)}. Check the provider's status page, or raise "
                    f"max_retry_seconds."
                ) from None
            raise

    def _send_once(self, method: str, path: str, parse: Callable[[httpx.Response], Any],
                   kwargs: dict[str, Any]) -> Any:
        if self._limiter is not None:
            self._limiter.acquire()
        window = self.gate.acquire() if self.gate is not None else None
        with self._count_lock:
            self.requests += 1
        started = time.monotonic()
        if self.gate is None:
            response = self._http.request(method, path, **kwargs)
        else:
            response = None
            try:
                response = self._http.request(method, path, **kwargs)
            finally:
                quota = None
                if response is not None and self._read_quota is not None:
                    quota = self._read_quota(response)
                self.gate.release(quota, refused=response is not None and response.status_code == 429,
                                  window=window)
        with self._count_lock:
            self.seconds += time.monotonic() - started
        if self._read_pacing is not None and self._limiter is not None:
            pause = self._read_pacing(response)
            if pause:
                self._limiter.pause_until(time.monotonic() + pause)
        if response.status_code >= 400:
            raise self._describe_error(response)
        return parse(response)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        remaining = self.policy.max_retry_seconds - (state.seconds_since_start or 0.0)
        signalled = getattr(exc, "wait_seconds", None)
        if signalled is not None:
            return max(0.0, min(signalled, remaining))
        backoff = min(self.policy.backoff_max_seconds,
                      self.policy.backoff_base_seconds * 2 ** (state.attempt_number - 1))
        return max(0.0, min(backoff * (1 - 0.25 * random.random()), remaining))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ApiStatusError):
        return str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

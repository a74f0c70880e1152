"""The Sandbox: four provider APIs on 127.0.0.1, their synthetic data, a settable clock and test controls.

The clock: `today` is the constructor's date, or the real UTC date when None, until `set_today` moves it.
"Now" (the end of AI Gateway's current bucket, the newest Venice charge) is the real UTC time when the
clock is real, and today 12:30:00Z when it was set, so tests are reproducible and the current hour and day
are both visibly partial. History starts where the constructor's clock puts it (today - days + 1) and stays
there when the clock moves on: data arrives as days pass and never disappears.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Self

import orjson

from pipelines.sandbox import catalog
from pipelines.sandbox.accounts import make_accounts
from pipelines.sandbox.ai_gateway import GatewayUsage, SpendingLimits
from pipelines.sandbox.cloudflare_api import RateLimiter
from pipelines.sandbox.cloudflare_usage import CloudflareUsage
from pipelines.sandbox.faults import Fault, FaultQueue
from pipelines.sandbox.network import VENICE_RATE_LIMIT, InFlight, Latency, parse_rate
from pipelines.sandbox.replies import Request
from pipelines.sandbox.server import SandboxHTTPServer
from pipelines.sandbox.venice_charges import charge_json
from pipelines.sandbox.venice_ledger import VeniceLedger

SET_CLOCK_TIME_OF_DAY = dtime(12, 30, tzinfo=UTC)


def _ms(day: date) -> int:
    return int(datetime.combine(day, dtime(), UTC).timestamp() * 1000)


class Sandbox:
    """The sandbox API server and its state. Test controls are plain attributes and methods:
    restricted_accounts, spending_limit_post_forbidden, venice_legacy_gone, venice_cursor_ttl_seconds,
    venice_cursor_rejection (the 400's wording), gateway_max_buckets (a page limit, then `has_more`),
    slow_seconds (delay every data response), latency (`latency_ms` per request, seeded jitter), the rate limits
    (`rate_limit` and `venice_rate_limit`, "N/SECONDS"), add_fault, set_today, restate, set_spending_limit;
    `requests` logs every request served (never a header, so never a token)."""

    def __init__(self, seed: int = 7, accounts: int = 3, metrics: int = 12, days: int = 120,
                 venice_charges_per_day: int = 200, venice_days: int = 30, port: int = 0,
                 today: date | None = None, *, cloudflare_rate_limit: int = 1200,
                 cloudflare_rate_window: int = 300, slow_seconds: float = 0.0, latency_ms: float = 0.0,
                 latency_jitter: float = 0.2, rate_limit: str | None = None,
                 venice_rate_limit: str | None = VENICE_RATE_LIMIT):
        self.seed = seed
        self.port = port
        self._today = today
        self.first_day = self.today - timedelta(days=days - 1)  # Cloudflare and AI Gateway history start
        self.venice_first_day = self.today - timedelta(days=venice_days - 1)
        self.venice_first_ms = _ms(self.venice_first_day)
        self._accounts = make_accounts(seed, accounts)
        self.account_ids: list[str] = [a.id for a in self._accounts]
        # a metric's display name changes the day after the sandbox starts: a later run's look-back sees it
        self.cloudflare = CloudflareUsage(seed, self._accounts, catalog.metrics(metrics), self.first_day,
                                          rename_day=self.today + timedelta(days=1))
        self.gateway = GatewayUsage(seed, self._accounts, _ms(self.first_day))
        self.spending_limits = SpendingLimits(self._accounts)
        self.ai = self.spending_limits  # the first sandbox's name; tests read sb.ai.limits[account]
        self.venice = VeniceLedger(seed, venice_charges_per_day, self.venice_first_ms)
        self.faults = FaultQueue()
        self.cloudflare_limiter = RateLimiter()
        self.cloudflare_rate_limit = cloudflare_rate_limit
        self.cloudflare_rate_window = cloudflare_rate_window
        if rate_limit is not None:
            self.cloudflare_rate_limit, self.cloudflare_rate_window = parse_rate(rate_limit)
        self.venice_limiter = RateLimiter()
        self.venice_rate = parse_rate(venice_rate_limit) if venice_rate_limit else None
        self.slow_seconds = slow_seconds
        self.latency = Latency(seed, latency_ms, latency_jitter)
        self.in_flight = InFlight()  # API and control requests being answered; `.peak` the most at once
        self.restricted_accounts: set[str] = set()
        self.spending_limit_post_forbidden = False
        self.venice_legacy_gone = False
        self.venice_cursor_ttl_seconds: float = 600
        # what an expired cursor's 400 says: not the word "expired", which the spec never promises
        self.venice_cursor_rejection = "Invalid or stale cursor"
        self.venice_csv_header: tuple[str, ...] | None = None
        self.gateway_max_buckets: int | None = None  # AI Gateway history entries per answer, then has_more  # usage-history CSV header row, when overridden
        self.requests: list[dict] = []
        self._log_lock = threading.Lock()
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- clock -----------------------------------------------------------------------------------
    @property
    def today(self) -> date:
        return self._today or datetime.now(UTC).date()

    def set_today(self, day: date) -> None:
        self._today = day

    def now(self) -> datetime:
        if self._today is None:
            return datetime.now(UTC)
        return datetime.combine(self._today, SET_CLOCK_TIME_OF_DAY)

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    # --- life cycle ------------------------------------------------------------------------------
    def start(self) -> Self:
        if self._server is None:
            self._server = SandboxHTTPServer(self, self.port)
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                            name=f"sandbox-{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._server = None
            if self._thread is not None:
                self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cloudflare_base_url(self) -> str:
        return f"{self.url}/client/v4"

    @property
    def venice_base_url(self) -> str:
        return f"{self.url}/api/v1"

    # --- request log and faults --------------------------------------------------------------------
    def log_request(self, request: Request, status: int, api: str) -> None:
        """Method, path, query, status and API: never a header, so never a token."""
        entry = {"method": request.method, "path": request.path, "query": dict(request.query),
                 "status": status, "api": api}
        with self._log_lock:
            self.requests.append(entry)

    def clear_requests(self) -> None:
        with self._log_lock:
            self.requests.clear()

    def add_fault(self, path_regex: str, kind: str, times: int = 1, **params: object) -> None:
        self.faults.add(path_regex, kind, times, **params)

    def clear_faults(self) -> None:
        self.faults.clear()

    def take_fault(self, path: str, kind: str) -> Fault | None:
        return self.faults.take(path, (kind,))

    # --- data controls -----------------------------------------------------------------------------
    def restate(self, account_id: str, day: date, factor: Decimal) -> None:
        """Multiply that account-day's costs (every metric, corrections too); restating again compounds."""
        key = (account_id, day.toordinal())
        self.cloudflare.restated[key] = self.cloudflare.restated.get(key, Decimal(1)) * Decimal(str(factor))

    def add_raw_cloudflare_record(self, account_id: str, day: date, record: dict) -> None:
        """Serve `record` verbatim after that account-day's billable usage (for malformed-record tests)."""
        self.cloudflare.add_raw(account_id, day, record)

    def add_raw_venice_charge(self, at: datetime, record: dict) -> None:
        """Serve `record` verbatim as the charge at `at` on both Venice endpoints (malformed-record tests)."""
        self.venice.add_raw(_instant_ms(at), record)

    def set_spending_limit(self, account_id: str, enabled: bool, amount: int | None, duration: str | None,
                           strategy: str | None) -> None:
        self.spending_limits.set(account_id, enabled, amount, duration, strategy)

    # --- what the APIs serve, for tests ------------------------------------------------------------
    def expected_cloudflare_records(self, account_id: str, start: date, end: date) -> list[dict]:
        """The records of [start, end] (inclusive, any length) as a client parses them, as of today."""
        if account_id not in self.account_ids:
            return []
        return orjson.loads(self.cloudflare.result_json(account_id, start, end, self.today))

    def expected_ai_gateway_buckets(self, account_id: str, grain: str, start_ms: int, end_ms: int
                                    ) -> list[dict]:
        buckets = self.gateway.buckets(account_id, grain, int(start_ms), int(end_ms), self.now_ms())
        return orjson.loads(orjson.dumps(buckets))

    def expected_venice_charges(self, start: datetime, end: datetime) -> list[dict]:
        """Charges in [start, end) that exist by now, ascending, as usage-history serves them."""
        end_ms = min(_instant_ms(end), self.now_ms())
        rows, _ = self.venice.after((_instant_ms(start), float("-inf")), end_ms, None, 1 << 62)
        return orjson.loads("[" + ",".join([charge_json(row) for row in rows]) + "]")


def _instant_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)

"""The sandbox HTTP server: plumbing, auth, request log, faults on demand and a settable clock."""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import orjson

from pipelines.sandbox import routes
from pipelines.sandbox.ai_gateway import AiGatewayData
from pipelines.sandbox.catalog import metrics as catalog_metrics
from pipelines.sandbox.cloudflare_usage import UsageGenerator
from pipelines.sandbox.hashing import hex_id
from pipelines.sandbox.venice import VeniceData

CLOUDFLARE_TOKEN = "cf-sandbox-token-7Qx93LzK"
VENICE_ADMIN_KEY = "venice-sandbox-admin-4Rt8Wq"
VENICE_INFERENCE_KEY = "venice-sandbox-inference-1Mn5"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class Fault:
    pattern: re.Pattern
    kind: str
    times: int
    params: dict


class Sandbox:
    """Four provider APIs on 127.0.0.1 with deterministic data; see pipelines/sandbox/__init__.py."""

    def __init__(self, seed: int = 7, accounts: int = 3, metrics: int = 12, days: int = 120,
                 venice_charges_per_day: int = 200, venice_days: int = 30, port: int = 0,
                 today: date | None = None, cloudflare_rate_limit: int = 1200, cloudflare_rate_window: int = 300,
                 slow_seconds: float = 0.0):
        self.seed, self.port = seed, port
        self._today = today
        self.days = days
        self.account_ids = [hex_id(seed, "account", i) for i in range(accounts)]
        self.usage = UsageGenerator(seed, self.account_ids, catalog_metrics(metrics))
        self.ai = AiGatewayData(seed, self.account_ids)
        self.venice = VeniceData(seed, venice_charges_per_day, 0)
        self.venice_days = venice_days
        self.restricted_accounts: set[str] = set()
        self.spending_limit_post_forbidden = False
        self.venice_legacy_gone = False
        self.venice_cursor_ttl_seconds = 600.0
        self.slow_seconds = slow_seconds
        self.rate_limit, self.rate_window = cloudflare_rate_limit, cloudflare_rate_window
        self._rate_starts: deque[float] = deque()
        self.requests: list[dict] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._sync_clock()

    # --- clock -------------------------------------------------------------------------------
    @property
    def today(self) -> date:
        return self._today or datetime.now(timezone.utc).date()

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=self.days - 1)

    def now_ms(self) -> int:
        """Real time of day on the sandbox's date: buckets and charges fill up as a real day would."""
        now = datetime.now(timezone.utc)
        moment = datetime.combine(self.today, now.time(), timezone.utc) if self._today else now
        return int(moment.timestamp() * 1000)

    def set_today(self, day: date) -> None:
        self._today = day
        self._sync_clock()

    def _sync_clock(self) -> None:
        first = self.today - timedelta(days=self.venice_days - 1)
        self.venice.first_ms = int(datetime.combine(first, dtime(), timezone.utc).timestamp() * 1000)

    # --- life cycle --------------------------------------------------------------------------
    def start(self) -> "Sandbox":
        handler = type("Handler", (_Handler,), {"sandbox": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="sandbox", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Sandbox":
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

    # --- test controls -----------------------------------------------------------------------
    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def add_fault(self, path_regex: str, kind: str, times: int = 1, **params: object) -> None:
        with self._lock:
            self._faults.append(Fault(re.compile(path_regex), kind, times, params))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def take_fault(self, path: str, kinds: tuple[str, ...] | None = None) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.pattern.search(path) and (kinds is None or fault.kind in kinds):
                    fault.times -= 1
                    return fault
        return None

    def restate(self, account_id: str, day: date, factor: Decimal) -> None:
        self.usage.restated[(account_id, day)] = Decimal(factor)

    def set_spending_limit(self, account_id: str, enabled: bool, amount: int | None, duration: str | None,
                           strategy: str | None) -> None:
        self.ai.limits[account_id] = {"enabled": enabled,
                                      "config": {"amount": amount, "duration": duration, "strategy": strategy}}

    def expected_cloudflare_records(self, account_id: str, start: date, end: date) -> list[dict]:
        return self.usage.records(account_id, start, end, self.today, self.first_day)

    def expected_ai_gateway_buckets(self, account_id: str, grain: str, start_ms: int, end_ms: int) -> list[dict]:
        first_ms = int(datetime.combine(self.first_day, dtime(), timezone.utc).timestamp() * 1000)
        return self.ai.buckets(account_id, grain, start_ms, end_ms, self.now_ms(), first_ms)

    def expected_venice_charges(self, start: datetime, end: datetime) -> list[dict]:
        return self.venice.charges(int(start.timestamp() * 1000), int(end.timestamp() * 1000), self.now_ms())

    def cloudflare_rate(self) -> tuple[bool, int, int]:
        """(allowed, remaining, seconds to reset) for one more Cloudflare request."""
        with self._lock:
            now = time.monotonic()
            while self._rate_starts and now - self._rate_starts[0] >= self.rate_window:
                self._rate_starts.popleft()
            reset = int(self.rate_window - (now - self._rate_starts[0])) + 1 if self._rate_starts else self.rate_window
            if len(self._rate_starts) >= self.rate_limit:
                return False, 0, reset
            self._rate_starts.append(now)
            return True, self.rate_limit - len(self._rate_starts), reset

    def log(self, entry: dict) -> None:
        with self._lock:
            self.requests.append(entry)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sandbox: Sandbox

    def log_message(self, *args: object) -> None:  # quiet: the request log is sb.requests
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        api = routes.api_of(parts.path)
        entry = {"method": method, "path": parts.path, "query": query, "status": None, "api": api}
        fault = None if api == "control" else self.sandbox.take_fault(
            parts.path, ("status", "rate_limit", "delay", "reset", "truncate"))
        if fault and fault.kind == "delay":
            time.sleep(float(fault.params.get("seconds", 1)))
            fault = None
        if self.sandbox.slow_seconds and api != "control":
            time.sleep(self.sandbox.slow_seconds)
        if fault and fault.kind in ("status", "rate_limit"):
            reply = routes.fault_reply(api, fault)
        else:
            reply = routes.route(self.sandbox, method, parts.path, query, self.headers, body)
        entry["status"] = reply.status
        if api != "control":
            self.sandbox.log(entry)
        if fault and fault.kind == "reset":
            self._send(reply, cut=True)
        elif fault and fault.kind == "truncate":
            self._send(Reply(reply.status, reply.body[: len(reply.body) // 2], reply.headers, reply.content_type))
        else:
            self._send(reply)

    def _send(self, reply: Reply, cut: bool = False) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if cut:  # headers promise the whole body; the connection dies half-way through it
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(reply.body)


def json_reply(status: int, payload: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, orjson.dumps(payload), headers or {})

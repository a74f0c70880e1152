"""HTTP plumbing: one keep-alive HTTP/1.1 server, routing to the APIs, faults, the request log.

Each reply goes out in a single write (status line, headers and body together) with TCP_NODELAY: a
separate small write for the headers would meet Nagle's algorithm and delayed ACKs and cost 40 ms per
request on a keep-alive connection.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from pipelines.sandbox import cloudflare_api, control, venice_api
from pipelines.sandbox.faults import REPLY_KINDS, TRANSPORT_KINDS, Fault
from pipelines.sandbox.replies import Reply, Request, reason

if TYPE_CHECKING:
    from pipelines.sandbox.sandbox import Sandbox


def api_of(path: str) -> str:
    if path.startswith("/client/v4/"):
        return cloudflare_api.api_of(path)
    if path.startswith("/api/v1/"):
        return "venice"
    return "control"


def dispatch(sb: Sandbox, request: Request) -> tuple[Reply, str | None]:
    """The reply to one request, and how to spoil it in transit (`reset`, `truncate`) if a fault says so."""
    api = api_of(request.path)
    if api == "control":
        reply = control.handle(sb, request)
        sb.log_request(request, reply.status, api)
        return reply, None
    cloudflare = api != "venice"
    budget = None
    if cloudflare:
        limit, window = sb.cloudflare_rate_limit, sb.cloudflare_rate_window
        budget = sb.cloudflare_limiter.spend(request.bearer() or "", limit, window)
    elif sb.venice_rate is not None:
        limit, window = sb.venice_rate
        budget = sb.venice_limiter.spend(request.bearer() or "", limit, window)
    fault = sb.faults.take(request.path, TRANSPORT_KINDS) if budget is None or budget.allowed else None
    delay = sb.slow_seconds + sb.latency.next_seconds()
    if delay:
        time.sleep(delay)
    if fault is not None and fault.kind == "delay":
        time.sleep(float(fault.params["seconds"]))
    if budget is not None and not budget.allowed:
        reply = (cloudflare_api.cf_rate_limited(budget.reset_seconds) if cloudflare
                 else venice_api.venice_rate_limited(budget.reset_seconds))
    elif fault is not None and fault.kind in REPLY_KINDS:
        reply = _fault_reply(fault, cloudflare)
    else:
        reply = _answer(sb, request, cloudflare)
    if budget is not None:
        sent = {name.lower() for name, _ in reply.headers}
        reply.headers += [(name, value) for name, value in (budget.headers(limit, window) if cloudflare else
                                                            venice_api.rate_headers(budget, limit))
                          if name.lower() not in sent]
    sb.log_request(request, reply.status, api)
    return reply, fault.kind if fault is not None and fault.kind in ("reset", "truncate") else None


def _answer(sb: Sandbox, request: Request, cloudflare: bool) -> Reply:
    try:
        return cloudflare_api.handle(sb, request) if cloudflare else venice_api.handle(sb, request)
    except Exception:  # noqa: BLE001 - a sandbox bug must show as a 500 and a traceback, not a hang
        traceback.print_exc(file=sys.stderr)
        return cloudflare_api.cf_status(500) if cloudflare else venice_api.venice_error(500, "Internal error")


def _fault_reply(fault: Fault, cloudflare: bool) -> Reply:
    if fault.kind == "success_false":
        return cloudflare_api.cf_error(200, int(fault.params.get("code", 10002)),
                                       str(fault.params.get("message", "Internal error: please try again")))
    if fault.kind == "null_result":
        return Reply(200, b'{"success":true,"errors":[],"messages":[],"result":null}')
    if fault.kind == "rate_limit":
        wait = float(fault.params.get("retry_after", 1))
        return cloudflare_api.cf_rate_limited(wait) if cloudflare else venice_api.venice_rate_limited(wait)
    status = int(fault.params["status"])
    if cloudflare:
        return cloudflare_api.cf_status(status)
    return venice_api.venice_error(status, reason(status))


def truncated(body: bytes, content_type: str) -> bytes:
    """Half the body; for CSV, cut inside a row so the last row is visibly short of columns."""
    cut = len(body) // 2
    if content_type.startswith("text/csv"):
        comma = body.find(b",", cut)
        cut = comma + 1 if comma > 0 else cut
    return body[:cut]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:  # the request log is Sandbox.requests
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = Request(self.command, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)),
                          self.headers, body)
        sb = self.server.sandbox
        sb.in_flight.enter()
        try:
            reply, spoil = dispatch(sb, request)
        finally:
            sb.in_flight.leave()
        try:
            self._write(reply, spoil)
        except OSError:  # the client went away (gave up waiting on a delay): nothing to answer
            self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    def _write(self, reply: Reply, spoil: str | None) -> None:
        body = truncated(reply.body, reply.content_type) if spoil == "truncate" else reply.body
        lines = [f"HTTP/1.1 {reply.status} {reason(reply.status)}",
                 f"Content-Type: {reply.content_type}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in reply.headers]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if spoil != "reset":
            self.wfile.write(head + body)
            return
        # the headers promise the whole body; the connection dies half-way through it (RST, not FIN)
        self.wfile.write(head + body[: len(body) // 2])
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, sandbox: Sandbox, port: int):
        self.sandbox = sandbox
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def close_connections(self) -> None:
        """Hang up on idle keep-alive clients, so a stopped sandbox really stops answering."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

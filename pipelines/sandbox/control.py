"""The control surface, for a sandbox running in another process (benchmarks, `finops-etl sandbox`).

    POST /_sandbox/faults   {"path_regex": "...", "kind": "status", "times": 2, "status": 503}
    POST /_sandbox/today    {"today": "2026-11-20"}
    GET  /_sandbox/requests the request log, as Sandbox.requests
    POST /_sandbox/reset    clear faults and the request log
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import orjson

from pipelines.sandbox.replies import Reply, Request, json_reply

if TYPE_CHECKING:
    from pipelines.sandbox.sandbox import Sandbox


def handle(sb: Sandbox, request: Request) -> Reply:
    route = (request.method, request.path.rstrip("/"))
    try:
        payload = orjson.loads(request.body) if request.body else {}
        if route == ("GET", "/_sandbox/requests"):
            return json_reply(200, list(sb.requests))
        if route == ("POST", "/_sandbox/faults"):
            params = {k: v for k, v in payload.items() if k not in ("path_regex", "kind", "times")}
            sb.add_fault(payload["path_regex"], payload["kind"], int(payload.get("times", 1)), **params)
            return json_reply(200, {"ok": True})
        if route == ("POST", "/_sandbox/today"):
            sb.set_today(date.fromisoformat(payload["today"]))
            return json_reply(200, {"ok": True, "today": sb.today.isoformat()})
        if route == ("POST", "/_sandbox/reset"):
            sb.clear_faults()
            sb.clear_requests()
            return json_reply(200, {"ok": True})
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        return json_reply(400, {"error": f"bad control request: {type(exc).__name__}: {exc}"})
    return json_reply(404, {"error": f"no such sandbox route: {request.method} {request.path}"})

"""Faults on demand: `add_fault(path_regex, kind, times, **params)`, consumed in the order they were added.

Transport kinds apply to any API request whose path matches: `status`, `rate_limit`, `delay`, `reset`,
`truncate`, and two Cloudflare envelope faults answered with HTTP 200: `success_false` (`"success": false`
with an error, code and message settable) and `null_result` (`"success": true, "result": null`). Two are protocol faults that only the request able to show them consumes: `expire_cursor`
(the next Venice usage-history request carrying a cursor) and `insert_midwalk` (the next legacy Venice
usage page that has rows).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

TRANSPORT_KINDS = ("status", "rate_limit", "delay", "reset", "truncate", "success_false", "null_result")
REPLY_KINDS = ("status", "rate_limit", "success_false", "null_result")  # answered instead of the real reply
PROTOCOL_KINDS = ("expire_cursor", "insert_midwalk")
_REQUIRED = {"status": "status", "delay": "seconds"}


@dataclass
class Fault:
    pattern: re.Pattern
    kind: str
    times: int
    params: dict = field(default_factory=dict)


class FaultQueue:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, path_regex: str, kind: str, times: int = 1, **params: object) -> None:
        if kind not in TRANSPORT_KINDS + PROTOCOL_KINDS:
            known = ", ".join(TRANSPORT_KINDS + PROTOCOL_KINDS)
            raise ValueError(f"unknown fault kind {kind!r}; one of {known}")
        needed = _REQUIRED.get(kind)
        if needed and needed not in params:
            raise ValueError(f"a {kind!r} fault needs the parameter {needed!r}")
        if kind == "status" and not 100 <= int(params["status"]) <= 599:  # type: ignore[call-overload]
            raise ValueError(f"not an HTTP status: {params['status']!r}")
        if times < 1:
            return
        with self._lock:
            self._faults.append(Fault(re.compile(path_regex), kind, int(times), dict(params)))

    def take(self, path: str, kinds: tuple[str, ...]) -> Fault | None:
        """The first pending fault of one of `kinds` matching `path`, using up one of its `times`."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.pattern.search(path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

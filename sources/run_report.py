"""What one source did in one run: the counters the operator summary and `status` print."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pipelines.errors import FinopsError


@dataclass
class SourceReport:
    source: str
    windows: int = 0
    requests: int = 0
    rows_rejected: int = 0
    rows_loaded: int = 0
    # rows of packages an interrupted run left pending, loaded at the start of this run
    rows_finished: int = 0
    duration_seconds: float = 0.0
    skipped: str | None = None
    # account (or scope) -> what to ask the provider for; the rest of the source still loaded
    not_covered: dict[str, str] = field(default_factory=dict)
    errors: list[FinopsError] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, *, windows: int = 0, rejected: int = 0) -> None:
        with self._lock:
            self.windows += windows
            self.rows_rejected += rejected

    @property
    def exit_code(self) -> int:
        from pipelines.errors import worst_exit_code

        codes = [e.exit_code for e in self.errors]
        if self.not_covered:
            codes.append(6)
        return worst_exit_code(codes)

    @property
    def result(self) -> str:
        if self.skipped:
            return "skipped"
        if self.errors:
            return "failed"
        if self.not_covered:
            return "partial"
        return "ok"

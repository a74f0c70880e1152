"""A progress bar over a source's planned requests, with an ETA that knows the rate limit.

tqdm's own ETA extrapolates the recent rate, which under a rate limit is wrong twice per window: a burst at the
start of a window looks fast, the wait for its reset looks like a stall. Here the ETA is the later of two
bounds: the quota (when the gate's windows will have let every remaining request start, plus one answer's
latency) and the fan-out (remaining requests x mean answer time / requests in flight).
Shown on a terminal, or anywhere with FINOPS__PROGRESS_BAR=true (e.g. a bench reading stderr).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from sources.http_client import ApiClient


def bar_wanted() -> bool:
    forced = os.environ.get("FINOPS__PROGRESS_BAR", "").lower()
    if forced in ("1", "true", "yes"):
        return True
    if forced in ("0", "false", "no"):
        return False
    return sys.stderr.isatty()


class RequestProgress:
    def __init__(self, total: int, client: ApiClient, workers: int, desc: str):
        self.total = total
        self.client = client
        self.workers = max(workers, 1)
        self.done = 0
        self._gate_start = client.gate.started if client.gate is not None else 0  # a gate is shared per token
        self._bar: Any = None
        if total > 1 and bar_wanted():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, file=sys.stderr, mininterval=0.2, miniters=1, unit="req",
                             bar_format="{desc}: {percentage:3.0f}%|{bar:20}| {n_fmt}/{total_fmt} "
                                        "[{elapsed}, {postfix}]")

    def eta_seconds(self) -> float:
        client = self.client
        answered = max(client.requests, 1)
        mean = client.seconds / answered if client.requests else 0.0
        gate = client.gate
        # started as the gate counts them (the same moment it counts them in flight), from this walk's start
        to_start = max(self.total - ((gate.started - self._gate_start) if gate is not None else client.requests), 0)
        quota = client.gate.estimate_seconds(to_start, mean) + mean if client.gate is not None and to_start else 0.0
        fan_out = max(self.total - self.done, 0) * mean / self.workers
        return max(quota, fan_out)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            eta = self.eta_seconds()
            self._bar.set_postfix_str(f"eta {eta:.1f}s", refresh=False)
            self._bar.update(n)
            sys.stderr.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

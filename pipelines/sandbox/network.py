"""What the network adds: a latency per request (seeded jitter) and the providers' rate limits as "N/SECONDS"."""

from __future__ import annotations

import random
import threading

# Venice documents no number for its billing endpoints; the sandbox's default is generous, the knob is the point.
VENICE_RATE_LIMIT = "6000/60"


def parse_rate(text: str) -> tuple[int, int]:
    """`"1200/300"` -> (1200, 300): at most N requests per SECONDS."""
    try:
        requests, seconds = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise ValueError(f"a rate limit is N/SECONDS, e.g. 1200/300; got {text!r}") from None
    if requests < 1 or seconds < 1:
        raise ValueError(f"a rate limit needs N >= 1 and SECONDS >= 1; got {text!r}")
    return requests, seconds


class Latency:
    """`ms` per request, +-`jitter` (a fraction) drawn from a generator seeded by the sandbox's seed: the same
    sequence of delays on every run."""

    def __init__(self, seed: int, ms: float, jitter: float = 0.2):
        self.ms = ms
        self.jitter = jitter
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def next_seconds(self) -> float:
        if self.ms <= 0:
            return 0.0
        with self._lock:
            factor = 1 + self.jitter * (2 * self._random.random() - 1)
        return self.ms * factor / 1000


class InFlight:
    """Requests being answered now, and the most at once (`peak`): what a test of the client's pacing reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def enter(self) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self._lock:
            self.now -= 1

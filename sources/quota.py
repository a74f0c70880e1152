"""Pacing from the provider's own count: start a request only while the window it reported has room for it.

Every answer says how many requests are left in the current window and when it resets (Cloudflare's `Ratelimit`,
Venice's `x-ratelimit-remaining-requests` / `-reset-requests`). Requests in flight are not counted in the last
answer yet, so a start needs `remaining - in_flight > reserve`: however many threads ask, the window is never
overdrawn and no 429 is drawn. When the window is used up, starts wait for its reset. The number in flight is
therefore chosen by the quota, up to the caller's cap (its worker count).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


RESET_SLACK_SECONDS = 0.5  # the mean lateness of a reset given in whole seconds


@dataclass(frozen=True)
class Quota:
    remaining: int
    reset_seconds: float
    limit: int | None = None  # the window's size (Ratelimit-Policy `q`), when the provider says it
    window_seconds: float | None = None  # its length (`w`)


class QuotaGate:
    def __init__(self, reserve: int = 1) -> None:
        self.reserve = reserve
        self._cond = threading.Condition()
        self._remaining: int | None = None  # unknown until the first answer: one request probes
        self._reset_at = 0.0
        self._limit: int | None = None
        self._period: float | None = None
        self._in_flight = 0
        self._next_ticket = 0
        self._serving = 0
        self._abandoned: set[int] = set()
        self._unmetered = False  # an answer came without a count: only the caller's worker cap applies
        self.waited_seconds = 0.0
        self.started = 0  # requests let through, ever (counted with in-flight ones: what an ETA subtracts)
        self._window_first = 0  # `started` when the current window opened

    def acquire(self) -> None:
        """Wait for room, first come first served: callers start in the order they asked (a walk that yields
        in order must not see its first request overtaken by a whole window of later ones)."""
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            try:
                self._wait_for_room(ticket)
            except BaseException:
                self._abandoned.add(ticket)  # interrupted while queued: the next in line must not wait on it
                self._skip_abandoned()
                raise
            self._in_flight += 1
            self.started += 1
            self._serving += 1
            self._skip_abandoned()
            self._cond.notify_all()

    def _skip_abandoned(self) -> None:
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
        self._cond.notify_all()

    def _wait_for_room(self, ticket: int) -> None:
        while True:
            now = time.monotonic()
            if ticket != self._serving:
                self._cond.wait(1.0)
                continue
            if self._remaining is not None and now >= self._reset_at:
                # the window turned over: a full one if we know its size, else probe with one request
                self._remaining = self._limit
                self._window_first = self.started
            if self._remaining is None:
                if self._in_flight == 0 or self._unmetered:
                    break
                wait = 0.5
            elif self._remaining - self._in_flight > self.reserve:
                break
            else:
                wait = max(self._reset_at - now, 0.005)
            started = time.monotonic()
            self._cond.wait(min(wait, 1.0))
            self.waited_seconds += time.monotonic() - started

    def release(self, quota: Quota | None) -> None:
        """One request is answered; `quota` is what its answer reported (None: no header). The reset is counted
        from the answer's arrival: later than the server's (by the way back and the rounding of `t` to whole
        seconds), never earlier, so a new window is never started before the server has opened it."""
        with self._cond:
            self._in_flight -= 1
            if quota is None and self._remaining is None:
                self._unmetered = True
            if quota is not None:
                reset_at = time.monotonic() + quota.reset_seconds
                if self._remaining is None or reset_at > self._reset_at + 1.5:
                    self._remaining, self._reset_at = quota.remaining, reset_at  # a new window
                else:  # the same window: answers arrive out of order, the lowest count is the latest
                    self._remaining = min(self._remaining, quota.remaining)
                    self._reset_at = max(self._reset_at, reset_at)
                if quota.limit:
                    self._limit = quota.limit
                if quota.window_seconds:
                    self._period = quota.window_seconds
            self._cond.notify_all()

    def estimate_seconds(self, requests: int, latency: float = 0.0) -> float:
        """Seconds the quota holds back `requests` more starts (0 when this window has room): for an ETA."""
        with self._cond:
            if self._remaining is None or not self._limit or not self._period:
                return 0.0
            now = time.monotonic()
            if now >= self._reset_at:
                room = self._limit - self.reserve
            else:  # what we started in this window tells the room better than `remaining - in flight`, which
                # counts twice the requests the server has seen but whose answers are still on their way
                room = max(min(self._remaining, self._limit - (self.started - self._window_first)) - self.reserve, 0)
            if requests <= room:
                return 0.0
            per_window = max(self._limit - self.reserve, 1)
            windows_after = -(-(requests - room) // per_window) - 1
            # we open each window late by the way back (~latency) and the rounding of `t` (half a second on average):
            # a server that starts its next window at our first request (the sandbox does) drifts by that much
            late = RESET_SLACK_SECONDS + latency
            return max(self._reset_at - now, 0.0) + windows_after * (self._period + late)

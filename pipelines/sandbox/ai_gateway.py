"""Synthetic AI Gateway usage history (hour and day buckets, several meters) and account spending limits."""

from __future__ import annotations

import threading

from orjson import Fragment

from pipelines.sandbox.accounts import Account
from pipelines.sandbox.hashing import fixed, mix, splitmix, text_key

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
VALUE_PLACES = 4  # aggregated_value has at most 4 decimal places
METERS = ("workers-ai", "openai", "anthropic")  # every account, every bucket
# share of a day's usage per UTC hour, in percent of an average hour (sums to 2400)
HOUR_PERCENT = (40, 30, 25, 25, 30, 45, 70, 100, 130, 150, 160, 160, 155, 150, 150, 145, 140, 130, 120, 110,
                95, 80, 65, 55)
DURATIONS = ("daily", "weekly", "monthly")
STRATEGIES = ("fixed", "sliding")


class GatewayUsage:
    """Hourly meter values are the unit; a day bucket is the exact sum of its hours as served."""

    def __init__(self, seed: int, accounts: list[Account], first_ms: int):
        self.first_ms = first_ms
        # account -> [(meter id, hash key, typical value of an hour in 1e-4 units)]
        self._meters: dict[str, list[tuple[str, int, int]]] = {}
        for account in accounts:
            keys = [mix(seed, account.key, text_key(name)) for name in METERS]
            self._meters[account.id] = [(name, key, 2_000 + splitmix(key) % 40_000)
                                        for name, key in zip(METERS, keys, strict=True)]

    @staticmethod
    def _hour_value(key: int, typical: int, hour: int, now_ms: int) -> int:
        """One meter-hour in 1e-4 units; the hour holding `now` counts only the part already elapsed."""
        value = typical * HOUR_PERCENT[hour % 24] * (50 + splitmix(key ^ hour) % 101) // 10_000
        elapsed = now_ms - hour * HOUR_MS
        return value if elapsed >= HOUR_MS else value * elapsed // HOUR_MS

    def buckets(self, account_id: str, grain: str, start_ms: int, end_ms: int, now_ms: int) -> list[dict]:
        """Every bucket whose start lies in [start_ms, end_ms), at or after history's start and before now."""
        size = HOUR_MS if grain == "hour" else DAY_MS
        bucket = -(-max(start_ms, self.first_ms) // size) * size  # the first aligned start not before it
        meters = self._meters[account_id]
        history = []
        while bucket < end_ms and bucket < now_ms:
            first_hour = bucket // HOUR_MS
            hours = range(first_hour, min(first_hour + size // HOUR_MS, -(-now_ms // HOUR_MS)))
            for name, key, typical in meters:
                value = sum(self._hour_value(key, typical, hour, now_ms) for hour in hours)
                history.append({"id": name, "aggregated_value": Fragment(fixed(value, VALUE_PLACES)),
                                "start_time": bucket, "end_time": bucket + size})
            bucket += size
        return history


class SpendingLimits:
    """Each account's limit as GET answers it; seeded with an enabled, a disabled and a sliding example."""

    _SEEDED = ({"amount": 10000, "duration": "monthly", "strategy": "fixed"},
               None,
               {"amount": 2500, "duration": "daily", "strategy": "sliding"})

    def __init__(self, accounts: list[Account]):
        self._lock = threading.Lock()
        self._limits: dict[str, dict] = {}
        for account in accounts:
            config = self._SEEDED[account.index % 3]
            self.set(account.id, config is not None, **(config or {}))

    @property
    def limits(self) -> dict[str, dict]:
        """account id -> {"config": {...}, "enabled": bool}, the state GET reports (read it; set() writes)."""
        return self._limits

    def get(self, account_id: str) -> dict:
        with self._lock:
            limit = self._limits[account_id]
            return {"config": dict(limit["config"]), "enabled": limit["enabled"]}

    def set(self, account_id: str, enabled: bool, amount: int | None = None, duration: str | None = None,
            strategy: str | None = None) -> None:
        with self._lock:
            config = {"amount": amount, "duration": duration, "strategy": strategy}
            self._limits[account_id] = {"config": config, "enabled": enabled}

    def clear(self, account_id: str) -> None:
        self.set(account_id, False)


def limit_problem(body: object) -> str | None:
    """What is wrong with a POSTed limit, naming the field as Cloudflare's validation does; None if valid."""
    if not isinstance(body, dict):
        return "request body must be a JSON object with amount, duration and strategy"
    amount = body.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 100:
        return f"amount: must be an integer number of cents, minimum 100 (got {amount!r})"
    if body.get("duration") not in DURATIONS:
        return f"duration: must be one of {', '.join(DURATIONS)} (got {body.get('duration')!r})"
    if body.get("strategy") not in STRATEGIES:
        return f"strategy: must be one of {', '.join(STRATEGIES)} (got {body.get('strategy')!r})"
    return None

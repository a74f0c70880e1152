"""Synthetic AI Gateway usage history (hour and day buckets, several meters each) and spending limits."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from pipelines.sandbox.hashing import mix

METERS = ["workers-ai", "openai", "anthropic"]
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
DURATIONS = ("daily", "weekly", "monthly")
STRATEGIES = ("fixed", "sliding")


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class AiGatewayData:
    def __init__(self, seed: int, account_ids: list[str]):
        self.seed = seed
        self.account_ids = account_ids
        self.limits: dict[str, dict] = {}
        for i, account in enumerate(account_ids):
            if i % 3 == 0:
                self.limits[account] = {"enabled": True, "config": {"amount": 10000, "duration": "monthly",
                                                                    "strategy": "fixed"}}
            elif i % 3 == 1:
                self.limits[account] = {"enabled": True, "config": {"amount": 2500, "duration": "daily",
                                                                    "strategy": "sliding"}}
            else:
                self.limits[account] = {"enabled": False, "config": {"amount": None, "duration": None,
                                                                     "strategy": None}}

    def hour_value(self, account: str, meter: int, hour_start_ms: int, now_ms: int) -> Decimal:
        """Cents spent in that hour; the hour holding `now` is still filling."""
        ai = self.account_ids.index(account)
        full = Decimal(mix(self.seed, ai, meter, hour_start_ms // HOUR_MS) % 5000) / 100
        if hour_start_ms + HOUR_MS > now_ms:
            full = (full * Decimal(now_ms - hour_start_ms) / HOUR_MS).quantize(Decimal("0.0001"))
        return full

    def buckets(self, account: str, grain: str, start_ms: int, end_ms: int, now_ms: int,
                first_ms: int) -> list[dict]:
        """Every bucket whose start is in [start_ms, end_ms), has begun by now, and is within history."""
        size = HOUR_MS if grain == "hour" else DAY_MS
        first = max(start_ms, first_ms)
        bucket = -(-first // size) * size
        out = []
        while bucket < end_ms and bucket <= now_ms:
            for meter, name in enumerate(METERS):
                if grain == "hour":
                    value = self.hour_value(account, meter, bucket, now_ms)
                else:
                    value = sum((self.hour_value(account, meter, h, now_ms)
                                 for h in range(bucket, min(bucket + DAY_MS, now_ms + 1), HOUR_MS)
                                 if h <= now_ms), Decimal(0))
                out.append({"id": name, "aggregated_value": float(value), "start_time": bucket,
                            "end_time": bucket + size})
            bucket += size
        return out

    def validate_limit(self, body: dict) -> str | None:
        amount = body.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 100:
            return "amount: must be an integer number of cents, at least 100"
        if body.get("duration") not in DURATIONS:
            return f"duration: must be one of {', '.join(DURATIONS)}"
        if body.get("strategy") not in STRATEGIES:
            return f"strategy: must be one of {', '.join(STRATEGIES)}"
        return None


def day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=timezone.utc)


def default_window(now_ms: int) -> tuple[int, int]:
    return now_ms - 7 * DAY_MS, now_ms



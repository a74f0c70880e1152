"""Synthetic Venice billing charges, generated hour by hour so a million never sit in memory at once.

An inference request makes two rows with one requestId and timestamp (input and output sku); 1 in 10
pairs is a non-inference charge (inferenceDetails null); 1 in 500 pairs is two identical real charges.
"""

from __future__ import annotations

import base64
import csv
import io
from datetime import datetime, timezone

import orjson

from pipelines.sandbox.hashing import hex_id, mix

HOUR_MS = 3_600_000
MODELS = [("llama-3.3-70b", 0.0000007, 0.0000028), ("qwen3-235b", 0.0000009, 0.0000045),
          ("venice-uncensored", 0.0000005, 0.000002), ("deepseek-r1", 0.00000085, 0.0000034)]
CSV_COLUMNS = ["timestamp", "sku", "pricePerUnitUsd", "units", "amount", "currency", "notes", "requestId",
               "inferenceExecutionTime", "promptTokens", "completionTokens"]
VCU_UNTIL_MS = int(datetime(2026, 6, 1, tzinfo=timezone.utc).timestamp() * 1000)


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso_ms(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


class VeniceData:
    def __init__(self, seed: int, per_day: int, first_ms: int):
        self.seed = seed
        self.per_hour = max(per_day // 24, 0)
        self.first_ms = first_ms
        self.inserted: list[tuple[int, dict]] = []

    def _charge(self, hour: int, i: int, n: int) -> tuple[int, dict]:
        pair, role = divmod(i, 2)
        x = mix(self.seed, hour, pair)
        if x % 250 == 7:
            role = 0  # a second, identical real charge
        ts = hour * HOUR_MS + (pair * 2 * HOUR_MS) // max(n, 1)
        currency = "DIEM" if x % 13 == 0 else "BUNDLED_CREDITS" if x % 29 == 0 else "USD"
        if pair % 10 == 9:
            record = {"timestamp": iso_ms(ts), "sku": "flux-dev-image", "pricePerUnitUsd": 0.01, "units": 1 + role,
                      "amount": -0.01 * (1 + role), "currency": currency, "notes": "image generation",
                      "inferenceDetails": None}
            return ts, record
        model, price_in, price_out = MODELS[x % len(MODELS)]
        prompt, completion = 50 + x % 4000, 10 + (x // 7) % 1500
        units, price = (prompt, price_in) if role == 0 else (completion, price_out)
        record = {
            "timestamp": iso_ms(ts), "sku": f"{model}-llm-{'input' if role == 0 else 'output'}-mtoken",
            "pricePerUnitUsd": price, "units": units, "amount": -round(units * price, 10), "currency": currency,
            "notes": "API inference",
            "inferenceDetails": {"requestId": hex_id(self.seed, hour, pair, length=24),
                                 "inferenceExecutionTime": 100 + x % 9000,
                                 "promptTokens": prompt if role == 0 else None,
                                 "completionTokens": completion if role == 1 else None},
        }
        return ts, record

    def hour_charges(self, hour: int, now_ms: int) -> list[tuple[int, dict]]:
        if hour * HOUR_MS < self.first_ms or hour * HOUR_MS > now_ms:
            return []
        n = self.per_hour
        rows = [self._charge(hour, i, n) for i in range(n)]
        extra = [c for c in self.inserted if c[0] // HOUR_MS == hour]
        if extra:
            rows = sorted(rows + extra, key=lambda c: c[0])
        return [r for r in rows if r[0] < now_ms]

    def charges(self, start_ms: int, end_ms: int, now_ms: int, currency: str | None = None,
                legacy: bool = False) -> list[dict]:
        out = []
        for hour in range(start_ms // HOUR_MS, (end_ms - 1) // HOUR_MS + 1):
            for ts, record in self.hour_charges(hour, now_ms):
                if start_ms <= ts < end_ms:
                    record = self.as_served(ts, record, legacy)
                    if currency is None or record["currency"] == currency or (
                            currency in ("VCU", "DIEM") and record["currency"] in ("VCU", "DIEM")):
                        out.append(record)
        return out

    @staticmethod
    def as_served(ts: int, record: dict, legacy: bool) -> dict:
        if legacy and record["currency"] == "DIEM" and ts < VCU_UNTIL_MS:
            return {**record, "currency": "VCU"}
        return record

    def insert_before(self, ts: int) -> None:
        """A late charge landing inside a range someone is paging through."""
        record = {"timestamp": iso_ms(ts), "sku": "late-adjustment", "pricePerUnitUsd": 0.02, "units": 1,
                  "amount": -0.02, "currency": "USD", "notes": f"inserted {len(self.inserted) + 1}",
                  "inferenceDetails": None}
        self.inserted.append((ts, record))


def encode_cursor(state: dict) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(state)).decode()


def decode_cursor(cursor: str) -> dict | None:
    try:
        return orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except Exception:  # noqa: BLE001 - any garbage is an invalid cursor
        return None


def to_csv(records: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        details = r.get("inferenceDetails") or {}
        row = [r["timestamp"], r["sku"], r["pricePerUnitUsd"], r["units"], r["amount"], r["currency"], r["notes"],
               details.get("requestId"), details.get("inferenceExecutionTime"), details.get("promptTokens"),
               details.get("completionTokens")]
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode()

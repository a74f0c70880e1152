"""What one Venice charge is: the products billed, a charge's fields, and its JSON and CSV forms.

A charge is kept as the text of its CSV columns (None for null); JSON is printed from the same texts, so
the two formats carry the very same digits. Prices and amounts are exact decimals (integers of 1e-10 USD).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

import orjson

from pipelines.sandbox.hashing import fixed, float_text

USD_PLACES = 10
CSV_COLUMNS = ("timestamp", "sku", "pricePerUnitUsd", "units", "amount", "currency", "notes", "requestId",
               "inferenceExecutionTime", "promptTokens", "completionTokens")
# Venice does not specify its CSV headers; usage-history names the details the way the seed page does
DOTTED_CSV_COLUMNS = CSV_COLUMNS[:7] + tuple(f"inferenceDetails.{name}" for name in CSV_COLUMNS[7:])
# Venice renamed VCU to DIEM; the legacy endpoint still calls DIEM charges from before the rename VCU
VCU_RENAMED_MS = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp() * 1000)
_NO_DETAILS = (None, None, None, None)


class Charge(NamedTuple):
    ts: int  # milliseconds since the epoch
    tiebreak: float  # orders charges of one millisecond; fractional for charges inserted later
    currency: str  # USD, DIEM or BUNDLED_CREDITS
    texts: tuple  # the CSV columns as text, None where the value is null
    raw: str | None = None  # JSON of a record added verbatim: served as is, malformed or not


def raw_charge(ts: int, tiebreak: float, record: dict) -> Charge:
    """A charge served exactly as `record` says (for tests of malformed records); CSV flattens it."""
    details = record.get("inferenceDetails") if isinstance(record.get("inferenceDetails"), dict) else {}
    values = [record.get(c) for c in CSV_COLUMNS[:7]] + [details.get(c) for c in CSV_COLUMNS[7:]]
    texts = tuple(v if v is None or isinstance(v, str) else orjson.dumps(v).decode() for v in values)
    return Charge(ts, tiebreak, str(record.get("currency")), texts, orjson.dumps(record).decode())


class _Llm(NamedTuple):
    input_sku: str
    input_price: int  # 1e-10 USD per token
    input_price_text: str
    output_sku: str
    output_price: int
    output_price_text: str


def _llm(model: str, input_price: int, output_price: int) -> _Llm:
    """Token prices are float64 on Venice's side: `7e-7` on the wire, amounts are float products."""
    return _Llm(f"{model}-llm-input-tokens", input_price, float_text(input_price / 10**USD_PLACES),
                f"{model}-llm-output-tokens", output_price, float_text(output_price / 10**USD_PLACES))


def _float_amount(units: int, price: int) -> str:
    """-(units x price) as a float64 service computes and prints it: `-0.00023729999999999998`."""
    return float_text(-(units * (price / 10**USD_PLACES)))


# per-token prices in 1e-10 USD: $0.70 per million tokens = 7000
LLMS = (_llm("llama-3.3-70b", 7000, 28000), _llm("qwen3-235b", 9000, 45000),
        _llm("venice-uncensored", 5000, 20000), _llm("deepseek-r1-671b", 8500, 34000),
        _llm("mistral-31-24b", 5000, 20000), _llm("qwen3-4b", 1500, 6000))
# non-inference products: sku, price per unit (1e-10 USD), notes
IMAGES = (("flux-dev-image", 100_000_000), ("hidream-image", 200_000_000), ("venice-sd35-image", 100_000_000))
SPEECH = ("tts-kokoro-characters", 35_000)
UPSCALE = ("image-upscale", 200_000_000)
TOP_UPS_USD = (10, 25, 50, 100)
LATE_ADJUSTMENT_PRICE = 200_000_000  # $0.02


def _currency(h: int) -> str:
    share = (h >> 8) % 100
    return "USD" if share < 85 else "DIEM" if share < 97 else "BUNDLED_CREDITS"


def event_rows(h: int, request_id: str, room: int) -> list[tuple]:
    """The texts (all but the timestamp) of one billed event: two rows for an LLM request if there is room.

    The mix: 80% LLM requests, the rest image generation, speech, upscales and 1 in 2,500 a credit top-up
    (positive amount); 85% USD, 12% DIEM, 3% BUNDLED_CREDITS.
    """
    kind = (h >> 16) % 10_000
    currency = _currency(h)
    if kind < 8_000 and room >= 2:
        llm = LLMS[(h >> 32) % len(LLMS)]
        prompt, completion = 20 + (h >> 36) % 6000, 5 + (h >> 48) % 1500
        details = (request_id, str(150 + (h >> 24) % 9000), str(prompt), str(completion))
        return [(llm.input_sku, llm.input_price_text, str(prompt),
                 _float_amount(prompt, llm.input_price), currency, "API inference", *details),
                (llm.output_sku, llm.output_price_text, str(completion),
                 _float_amount(completion, llm.output_price), currency, "API inference", *details)]
    if kind < 9_200:
        sku, price = IMAGES[(h >> 32) % len(IMAGES)]
        units, notes = 1 + (h >> 40) % 4, "Image generation"
    elif kind < 9_700:
        sku, price = SPEECH
        units, notes = 200 + (h >> 40) % 4800, "Text to speech"
    elif kind < 9_996:
        sku, price = UPSCALE
        units, notes = 1, "Image upscale"
    else:
        top_up = fixed(TOP_UPS_USD[(h >> 40) % len(TOP_UPS_USD)] * 10**USD_PLACES, USD_PLACES)
        return [("credit-top-up", top_up, "1", top_up, "USD", "Credit purchase", *_NO_DETAILS)]
    return [(sku, fixed(price, USD_PLACES), str(units), fixed(-units * price, USD_PLACES), currency, notes,
             *_NO_DETAILS)]


def late_adjustment(h: int) -> tuple:
    """The texts of a charge billed late (the `insert_midwalk` fault), timestamp left to the caller."""
    units = 1 + h % 4
    return (None, "late-adjustment", fixed(LATE_ADJUSTMENT_PRICE, USD_PLACES), str(units),
            fixed(-units * LATE_ADJUSTMENT_PRICE, USD_PLACES), "USD", "Adjustment billed late", *_NO_DETAILS)


def request_id(h: int, h2: int) -> str:
    x = f"{h:016x}{h2:016x}"
    return f"{x[:8]}-{x[8:12]}-4{x[13:16]}-a{x[17:20]}-{x[20:32]}"


# --- serving forms -----------------------------------------------------------------------------------
# Every string field is one of the constants above (no quotes or backslashes), so printing JSON from a
# template is safe, and several times faster than building a dict per charge for orjson.
_INFERENCE_JSON = ('{"timestamp":"%s","sku":"%s","pricePerUnitUsd":%s,"units":%s,"amount":%s,"currency":"%s",'
                   '"notes":"%s","inferenceDetails":{"requestId":"%s","inferenceExecutionTime":%s,'
                   '"promptTokens":%s,"completionTokens":%s}}')
_PLAIN_JSON = ('{"timestamp":"%s","sku":"%s","pricePerUnitUsd":%s,"units":%s,"amount":%s,"currency":"%s",'
               '"notes":"%s","inferenceDetails":null}')


def served_texts(charge: Charge, legacy: bool) -> tuple:
    """The legacy endpoint names DIEM charges from before the rename VCU."""
    if legacy and charge.currency == "DIEM" and charge.ts < VCU_RENAMED_MS and charge.raw is None:
        texts = charge.texts
        return (*texts[:5], "VCU", *texts[6:])
    return charge.texts


def charge_json(charge: Charge, legacy: bool = False) -> str:
    if charge.raw is not None:
        return charge.raw
    texts = served_texts(charge, legacy)
    return _INFERENCE_JSON % texts if texts[7] is not None else _PLAIN_JSON % texts[:7]

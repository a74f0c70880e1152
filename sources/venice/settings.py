"""Venice billing: endpoints, paging limits and the charge record's declared types."""

import pyarrow as pa

DEFAULT_BASE_URL = "https://api.venice.ai/api/v1"
HISTORY_PATH = "/billing/usage-history"  # live: cursor paging, half-open [startTimestamp, endTimestamp)
LEGACY_PATH = "/billing/usage"  # seed docs: offset paging; Venice answers 410 since 2026-09-16
HISTORY_PAGE_SIZE = 1000  # the maximum Venice allows
LEGACY_PAGE_SIZE = 500
TABLE = "venice_billing_usage"
DEFAULT_LOOKBACK_DAYS = 3
DEFAULT_WINDOW_DAYS = 7
DEFAULT_CONCURRENCY = 16  # cursor walks at once (SOURCES__VENICE__CONCURRENCY); the rate-limit headers pace them
MAX_WALK_RESTARTS = 3  # rejected cursors or pages shifted under an offset walk
# A walk past this many pages is not ending (a server repeating itself): 10M charges in one window
MAX_PAGES_PER_WINDOW = 10_000

_MONEY = pa.decimal128(38, 10)

RECORD_TYPE = pa.struct([
    ("timestamp", pa.timestamp("us", tz="UTC")),
    ("sku", pa.string()),
    ("pricePerUnitUsd", _MONEY),
    ("units", _MONEY),
    ("amount", _MONEY),
    ("currency", pa.string()),
    ("notes", pa.string()),
    ("inferenceDetails", pa.struct([
        ("requestId", pa.string()),
        ("inferenceExecutionTime", pa.int64()),
        ("promptTokens", pa.int64()),
        ("completionTokens", pa.int64()),
    ])),
])

# The CSV export flattens inferenceDetails into these columns (empty = NULL).
CSV_TYPES = {
    "timestamp": pa.timestamp("us", tz="UTC"), "sku": pa.string(), "pricePerUnitUsd": _MONEY, "units": _MONEY,
    "amount": _MONEY, "currency": pa.string(), "notes": pa.string(), "requestId": pa.string(),
    "inferenceExecutionTime": pa.int64(), "promptTokens": pa.int64(), "completionTokens": pa.int64(),
}

# Our column names, in order; every charge field as delivered, flattened.
COLUMNS = ["timestamp", "sku", "price_per_unit_usd", "units", "amount", "currency", "currency_delivered", "notes",
           "request_id", "inference_execution_time_ms", "prompt_tokens", "completion_tokens"]
REQUIRED = ["timestamp", "sku", "amount", "currency"]
# A CSV page without these columns cannot be mapped at all (quarantined whole, not retried)
CSV_REQUIRED = ["timestamp", "sku", "amount", "currency", "units"]
# Everything delivered: two charges equal in all of these are two real charges, told apart by an ordinal.
KEY_PARTS = ["timestamp", "sku", "price_per_unit_usd", "units", "amount", "currency_delivered", "notes",
             "request_id", "inference_execution_time_ms", "prompt_tokens", "completion_tokens"]

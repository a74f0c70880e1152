"""The export's column contract, the same from DuckDB's and Postgres' information_schema type names."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pyarrow as pa
import pytest

from pipelines.export_arrow import conform
from pipelines.export_schema import MONEY, UTC, export_type


@pytest.mark.parametrize(("name", "duckdb_type", "postgres_type", "expected"), [
    ("billed_cost", "DECIMAL(38,10)", "numeric", MONEY),
    ("charge_period_start", "TIMESTAMP WITH TIME ZONE", "timestamp with time zone", UTC),
    ("x_prompt_tokens", "BIGINT", "bigint", pa.int64()),
    ("tokens_in", "HUGEINT", "numeric", pa.int64()),  # sum(BIGINT): HUGEINT in DuckDB, NUMERIC in Postgres
    ("cost_per_million_tokens", "DECIMAL(38,6)", "numeric", MONEY),
    ("day", "DATE", "date", pa.date32()),
    ("robust_z", "DOUBLE", "double precision", pa.float64()),
    ("sku_id", "VARCHAR", "text", pa.string()),
])
def test_both_engines_type_names_map_to_one_export_type(name, duckdb_type, postgres_type, expected):
    assert export_type(name, duckdb_type) == export_type(name, postgres_type) == expected


def test_conform_rounds_finer_decimals_half_even_and_types_all_null_columns():
    batch = pa.table({"a": pa.array([Decimal("9.99999999999999999"), Decimal("-0.00000000015")]),
                      "b": pa.array([None, None]), "c": pa.array([3, None]),
                      "d": [datetime(2026, 1, 1, tzinfo=timezone.utc), None]})
    schema = pa.schema([("A", MONEY), ("B", MONEY), ("C", pa.int64()), ("D", UTC)])
    out = conform(batch, schema)
    assert out.schema == schema
    assert out.column("A").to_pylist() == [Decimal("10.0000000000"), Decimal("-0.0000000002")]


@pytest.mark.parametrize("scale", [38, 30, 20, 12, 45])
def test_conform_rounds_where_arrows_own_division_would_come_out_low(scale):
    """0.42949672955 at scale 38: Arrow's rescale divides by 10^28 and gives ...94; half-even is ...96."""
    kind = pa.decimal128(38, scale) if scale <= 38 else pa.decimal256(76, scale)
    values = [Decimal("0.42949672955"), Decimal("-0.00000000015"), Decimal("0.00000000025"), None]
    out = conform(pa.table({"a": pa.array(values, kind)}), pa.schema([("A", MONEY)]))
    assert out.column("A").to_pylist() == [Decimal("0.4294967296"), Decimal("-0.0000000002"),
                                           Decimal("0.0000000002"), None]


def test_a_fractional_token_count_raises_instead_of_truncating():
    with pytest.raises(pa.ArrowInvalid):
        conform(pa.table({"t": [1.5]}), pa.schema([("T", pa.int64())]))

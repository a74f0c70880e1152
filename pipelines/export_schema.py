"""The export's column contract, read from the destination's information_schema through dlt's sql_client.

Money stays decimal(38,10), times are UTC timestamps, token counts are 64-bit integers (a DuckDB sum of
BIGINT is HUGEINT, which Parquet writers turn into DOUBLE; Postgres sums BIGINT into NUMERIC).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

ROLLUPS = ["daily_costs", "monthly_costs", "ai_token_costs", "cost_anomalies", "month_to_date_forecast",
           "spend_vs_limit", "cost_restatements"]
INTEGERS = {"tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint", "uinteger", "ubigint",
            "int2", "int4", "int8"}
FLOATS = {"double", "double precision", "real", "float", "float4", "float8"}
TOKEN_COUNTS = {"x_prompt_tokens", "x_completion_tokens", "tokens_in", "tokens_out"}
MONEY = pa.decimal128(38, 10)
UTC = pa.timestamp("us", tz="UTC")


def focus_name(column: str) -> str:
    """billed_cost -> BilledCost; x_billable_metric_id -> x_BillableMetricId (the spec's spelling)."""
    if column.startswith("x_"):
        return "x_" + focus_name(column[2:])
    return "".join(part[:1].upper() + part[1:] for part in column.split("_"))


@dataclass(frozen=True)
class Column:
    name: str  # as in the warehouse
    exported: str  # as in the Parquet file
    type: pa.DataType  # as in the Parquet file


def export_type(name: str, data_type: str) -> pa.DataType:
    kind = data_type.lower().split("(")[0].strip()
    if name in TOKEN_COUNTS:
        return pa.int64()
    if kind in ("decimal", "numeric"):
        return MONEY
    if kind in INTEGERS:
        return pa.int64()
    if kind.startswith("timestamp"):
        return UTC
    if kind == "date":
        return pa.date32()
    if kind in FLOATS:
        return pa.float64()
    if kind in ("boolean", "bool"):
        return pa.bool_()
    return pa.string()


def duckdb_type(arrow_type: pa.DataType) -> str:
    """The DuckDB type a fast-path COPY casts to, so both paths write the same Parquet types."""
    return {pa.int64(): "BIGINT", MONEY: "DECIMAL(38,10)", UTC: "TIMESTAMPTZ", pa.date32(): "DATE",
            pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN"}.get(arrow_type, "VARCHAR")


def table_columns(client, dataset: str, table: str, focus_names: bool) -> list[Column]:  # noqa: ANN001
    """Columns of a table or view in order; empty when it does not exist (portable SQL, %s parameters)."""
    with client.execute_query(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %s AND "
            "table_name = %s ORDER BY ordinal_position", dataset, table) as cursor:
        rows = cursor.fetchall()
    return [Column(name, focus_name(name) if focus_names else name, export_type(name, data_type))
            for name, data_type in rows]


def arrow_schema(columns: list[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.exported, c.type) for c in columns])

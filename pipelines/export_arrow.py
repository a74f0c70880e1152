"""The general export path: read through the destination's own dlt sql_client as Arrow batches, write
Parquet with pyarrow into any export target. Portable SQL only (information_schema, `%s` parameters,
comparisons on timestamps), so it runs on DuckDB and Postgres alike; one month is streamed at a time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.export_schema import Column, arrow_schema
from pipelines.export_targets import ExportTarget
from sources.exact_numbers import SCALE, WIDE

CHUNK_ROWS = 100_000


def billing_months(client, view: str, since: str | None) -> list[str]:  # noqa: ANN001 - a dlt sql_client
    """The billing months present (YYYY-MM, UTC), from `since` on."""
    sql = f"SELECT DISTINCT billing_period_start FROM {view}"
    args = []
    if since:
        sql += " WHERE billing_period_start >= %s"
        args.append(month_start(since))
    with client.execute_query(sql, *args) as cursor:
        starts = [row[0] for row in cursor.fetchall() if row[0] is not None]
    return sorted({_utc(value).strftime("%Y-%m") for value in starts})


def month_start(month: str) -> datetime:
    return datetime.strptime(month, "%Y-%m").replace(tzinfo=timezone.utc)


def _next_month(month: str) -> datetime:
    start = month_start(month)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def write_month(client, target: ExportTarget, view: str, columns: list[Column], month: str,  # noqa: ANN001
                relative: str) -> dict:
    """One billing month into one staged Parquet file; returns the sidecar's facts for it."""
    select = ", ".join(f'"{c.name}"' for c in columns)
    sql = f"SELECT {select} FROM {view} WHERE billing_period_start >= %s AND billing_period_start < %s"
    facts = {"rows": 0, "billed_cost": Decimal(0), "effective_cost": Decimal(0), "lo": None, "hi": None}

    def tally(batch: pa.Table) -> None:
        facts["rows"] += batch.num_rows
        for key, column in (("billed_cost", "BilledCost"), ("effective_cost", "EffectiveCost")):
            facts[key] += pc.sum(batch[column]).as_py() or Decimal(0)
        lo, hi = pc.min(batch["ChargePeriodStart"]).as_py(), pc.max(batch["ChargePeriodEnd"]).as_py()
        facts["lo"] = lo if facts["lo"] is None or (lo and lo < facts["lo"]) else facts["lo"]
        facts["hi"] = hi if facts["hi"] is None or (hi and hi > facts["hi"]) else facts["hi"]

    _stream(client, target, sql, (month_start(month), _next_month(month)), columns, relative, tally)
    return {"billing_month": month, "path": relative, "rows": facts["rows"],
            "billed_cost": format(facts["billed_cost"], "f"), "effective_cost": format(facts["effective_cost"], "f"),
            "charge_period_start_min": facts["lo"].isoformat() if facts["lo"] else None,
            "charge_period_end_max": facts["hi"].isoformat() if facts["hi"] else None}


def write_table(client, target: ExportTarget, qualified: str, columns: list[Column], relative: str) -> None:  # noqa: ANN001
    select = ", ".join(f'"{c.name}"' for c in columns)
    _stream(client, target, f"SELECT {select} FROM {qualified}", (), columns, relative, None)


def _stream(client, target: ExportTarget, sql: str, args: tuple, columns: list[Column], relative: str,  # noqa: ANN001
            each) -> None:  # noqa: ANN001
    schema = arrow_schema(columns)
    with client.execute_query(sql, *args) as cursor, target.open_staged(relative) as handle:
        with pq.ParquetWriter(handle, schema, compression="snappy") as writer:
            for batch in cursor.iter_arrow(chunk_size=CHUNK_ROWS):
                batch = conform(batch, schema)
                if each is not None:
                    each(batch)
                writer.write_table(batch)


def conform(batch: pa.Table, schema: pa.Schema) -> pa.Table:
    """Rename to the export's names and cast to its types. Casts are safe (an overflow or a fractional token
    count raises); a decimal finer than the export's scale (a ratio Postgres computed as unbounded NUMERIC)
    is rounded half-even to it first, as DuckDB's CAST does on the fast path."""
    batch = batch.rename_columns(schema.names)
    for index, field in enumerate(schema):
        column = batch.column(index)
        if pa.types.is_decimal(field.type) and pa.types.is_decimal(column.type) and column.type.scale > field.type.scale:
            batch = batch.set_column(index, field.name, _round_to(column, field.type.scale))
    return batch.cast(schema)


def _round_to(column: pa.ChunkedArray, scale: int) -> pa.Array | pa.ChunkedArray:
    """Half-even to `scale`. To money's scale through exact_numbers' wide type, whose rescale Arrow divides
    right (at the column's own scale, e.g. 38, Arrow's 256-bit division can come out 1e-10 low); any other
    case value by value."""
    if scale == SCALE and column.type.scale <= WIDE.scale:
        return pc.round(column.cast(WIDE), ndigits=SCALE, round_mode="half_to_even")
    quantum = Decimal(1).scaleb(-scale)
    return pa.array([None if v is None else v.quantize(quantum, rounding=ROUND_HALF_EVEN)
                     for v in column.to_pylist()], pa.decimal256(76, scale))

"""The fast export path, for a DuckDB destination and a local directory: DuckDB's own COPY writes every
month in one partitioned pass (several times faster than streaming Arrow batches through Python). It casts
to the same column types as the general path (export_schema), so both write the same files.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.export_schema import Column, duckdb_type
from pipelines.export_targets import ExportTarget

MEMORY_LIMIT = "2GB"  # DuckDB keeps one writer per month open during the partitioned COPY


def session(con) -> None:  # noqa: ANN001 - a DuckDB connection
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET TimeZone = 'UTC'")  # billing months and bounds in UTC, whatever the host says


def _select(columns: list[Column]) -> str:
    return ", ".join(f'CAST("{c.name}" AS {duckdb_type(c.type)}) AS "{c.exported}"' for c in columns)


def write_months(con, target: ExportTarget, view: str, columns: list[Column], since: str | None) -> list[dict]:  # noqa: ANN001
    where = f"WHERE strftime(billing_period_start, '%Y-%m') >= '{since}'" if since else ""
    staging = Path(target.staged("cost_and_usage"))
    staging.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"""COPY (SELECT {_select(columns)}, strftime(billing_period_start, '%Y-%m') AS billing_month
                     FROM {view} {where})
                    TO '{staging}' (FORMAT parquet, PARTITION_BY (billing_month),
                    FILENAME_PATTERN 'part-{{i}}', WRITE_PARTITION_COLUMNS false)""")
    months = [m for (m,) in con.execute(
        f"SELECT DISTINCT strftime(billing_period_start, '%Y-%m') FROM {view} {where} ORDER BY 1").fetchall()]
    for month in months:
        _one_file(con, staging / f"billing_month={month}")
    return [_facts(con, view, month) for month in months]


def write_table(con, target: ExportTarget, qualified: str, columns: list[Column], relative: str) -> None:  # noqa: ANN001
    path = Path(target.staged(relative))
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY (SELECT {_select(columns)} FROM {qualified}) TO '{path}' (FORMAT parquet)")


def _one_file(con, month_dir: Path) -> None:  # noqa: ANN001
    """DuckDB splits a large month into several files: keep one per month, named predictably."""
    files = sorted(month_dir.glob("*.parquet"))
    if len(files) > 1:
        merged = month_dir / "merged.parquet.tmp"
        con.execute(f"COPY (SELECT * FROM read_parquet('{month_dir}/*.parquet')) TO '{merged}' (FORMAT parquet)")
        for file in files:
            file.unlink()
        files = [merged]
    if files and files[0].name != "part-0.parquet":
        os.replace(files[0], month_dir / "part-0.parquet")


def _facts(con, view: str, month: str) -> dict:  # noqa: ANN001
    rows, billed, effective, lo, hi = con.execute(
        f"SELECT count(*), sum(billed_cost), sum(effective_cost), min(charge_period_start), max(charge_period_end) "
        f"FROM {view} WHERE strftime(billing_period_start, '%Y-%m') = ?", [month]).fetchone()
    return {"billing_month": month, "path": f"cost_and_usage/billing_month={month}/part-0.parquet", "rows": rows,
            "billed_cost": format(billed, "f"), "effective_cost": format(effective, "f"),
            "charge_period_start_min": lo.isoformat(), "charge_period_end_max": hi.isoformat()}

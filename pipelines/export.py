"""`finops-etl export`: Parquet in the FOCUS spec's own column names, one hive partition per billing month.

DuckDB writes everything (one COPY for the partitioned table, one per rollup) into a staging directory
beside the output; files are then moved into place with os.replace, so a reader never sees a half-written
file under a final name and a re-export replaces a month whole.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

import dlt

from pipelines.errors import UsageError
from pipelines.transform import EXPORT_MEMORY_LIMIT, analytic_session

ROLLUPS = ["daily_costs", "monthly_costs", "ai_token_costs", "cost_anomalies", "month_to_date_forecast",
           "spend_vs_limit", "cost_restatements"]
SIDECAR = "_focus_export.json"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def focus_name(column: str) -> str:
    """billed_cost -> BilledCost; x_billable_metric_id -> x_BillableMetricId (the spec's spelling)."""
    if column.startswith("x_"):
        return "x_" + focus_name(column[2:])
    return "".join(part[:1].upper() + part[1:] for part in column.split("_"))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def export_parquet(pipeline: dlt.Pipeline, out_dir: str, since: str | None = None,
                   focus_version: str = "1.3") -> dict:
    if since is not None and not _MONTH.match(since):
        raise UsageError(f"--since must be a billing month like 2026-07, got {since!r}")
    if focus_version not in ("1.3", "1.2"):
        raise UsageError(f"--focus-version must be 1.3 or 1.2, got {focus_version!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    staging = out / f".staging-{run_id}"
    view = f"{pipeline.dataset_name}.cost_and_usage_v{focus_version.replace('.', '_')}"
    with pipeline.sql_client() as client:
        con = client.native_connection
        analytic_session(con, EXPORT_MEMORY_LIMIT)
        try:
            columns = [name for (name,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                "ORDER BY ordinal_position", [pipeline.dataset_name, view.split(".")[1]]).fetchall()]
        except Exception:  # noqa: BLE001
            columns = []
        if not columns:
            raise UsageError("nothing to export yet: run `finops-etl run` (or `transform`) first")
        select = ", ".join(f'"{c}" AS "{focus_name(c)}"' for c in columns)
        where = f"WHERE strftime(billing_period_start, '%Y-%m') >= '{since}'" if since else ""
        staging.mkdir()
        try:
            con.execute(f"""COPY (SELECT {select}, strftime(billing_period_start, '%Y-%m') AS billing_month
                             FROM {view} {where})
                            TO '{staging / "cost_and_usage"}' (FORMAT parquet, PARTITION_BY (billing_month),
                            FILENAME_PATTERN 'part-{{i}}', WRITE_PARTITION_COLUMNS false)""")
            partitions = [_partition_facts(con, view, month) for (month,) in con.execute(
                f"SELECT DISTINCT strftime(billing_period_start, '%Y-%m') FROM {view} {where} ORDER BY 1").fetchall()]
            rollups = []
            for rollup in ROLLUPS:
                exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND "
                                     "table_name = ?", [pipeline.dataset_name, rollup]).fetchone()[0]
                if exists:
                    con.execute(f"COPY {pipeline.dataset_name}.{rollup} TO '{staging / (rollup + '.parquet')}' "
                                "(FORMAT parquet)")
                    rollups.append(rollup)
            _publish(staging, out, partitions, rollups)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    sidecar = {"focus_version": focus_version, "run_id": run_id,
               "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "table": "cost_and_usage", "partitioning": "billing_month (hive)", "since": since,
               "partitions": partitions, "rollups": [f"{r}.parquet" for r in rollups]}
    _atomic_write(out / SIDECAR, json.dumps(sidecar, indent=2, default=str).encode())
    return sidecar


def _partition_facts(con, view: str, month: str) -> dict:  # noqa: ANN001 - a DuckDB connection
    rows, billed, effective, lo, hi = con.execute(
        f"SELECT count(*), sum(billed_cost), sum(effective_cost), min(charge_period_start), max(charge_period_end) "
        f"FROM {view} WHERE strftime(billing_period_start, '%Y-%m') = ?", [month]).fetchone()
    return {"billing_month": month, "path": f"cost_and_usage/billing_month={month}/part-0.parquet", "rows": rows,
            "billed_cost": str(billed), "effective_cost": str(effective),
            "charge_period_start_min": lo.isoformat(), "charge_period_end_max": hi.isoformat()}


def _publish(staging: Path, out: Path, partitions: list[dict], rollups: list[str]) -> None:
    """Move each finished file over its final name: os.replace is atomic within one file system."""
    for part in partitions:
        month_dir = staging / "cost_and_usage" / f"billing_month={part['billing_month']}"
        files = sorted(month_dir.glob("*.parquet"))
        target_dir = out / "cost_and_usage" / f"billing_month={part['billing_month']}"
        target_dir.mkdir(parents=True, exist_ok=True)
        if len(files) > 1:  # DuckDB split a large month: keep one file per month, named predictably
            import duckdb

            merged = month_dir / "merged.parquet.tmp"
            duckdb.sql(f"COPY (SELECT * FROM read_parquet('{month_dir}/*.parquet')) TO '{merged}' (FORMAT parquet)")
            files = [merged]
        os.replace(files[0], target_dir / "part-0.parquet")
        for stale in target_dir.glob("*.parquet"):
            if stale.name != "part-0.parquet":
                stale.unlink()
    for rollup in rollups:
        os.replace(staging / f"{rollup}.parquet", out / f"{rollup}.parquet")

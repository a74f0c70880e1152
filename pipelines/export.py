"""`finops-etl export`: Parquet in the FOCUS spec's own column names, one hive partition per billing month.

Two paths write the same files. On a DuckDB destination exporting to a local directory, DuckDB's COPY
writes them (export_duckdb, the fast path). Anywhere else (Postgres, any dlt warehouse, or an fsspec URL
such as s3://) the rows are read through the destination's dlt sql_client as Arrow batches and written
with pyarrow (export_arrow). `FINOPS__EXPORT_ENGINE=arrow|duckdb` forces one; the default is `auto`.

Every file is staged and then moved over its final name (export_targets); the sidecar `_focus_export.json`
(row counts, cost totals, charge-period bounds per month) is published last, so a reader that finds a
sidecar finds every file it lists complete.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone

import dlt

from pipelines.destinations import destination_type, require_sql_engine
from pipelines.errors import UsageError
from pipelines.export_schema import ROLLUPS, focus_name, table_columns
from pipelines.export_targets import ExportTarget, is_url

__all__ = ["ROLLUPS", "SIDECAR", "export_parquet", "focus_name"]

SIDECAR = "_focus_export.json"
ENGINE_KEY = "finops.export_engine"  # env FINOPS__EXPORT_ENGINE
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def export_parquet(pipeline: dlt.Pipeline, out_dir: str, since: str | None = None,
                   focus_version: str = "1.3", engine: str | None = None) -> dict:
    if since is not None and not _MONTH.match(since):
        raise UsageError(f"--since must be a billing month like 2026-07, got {since!r}")
    if focus_version not in ("1.3", "1.2"):
        raise UsageError(f"--focus-version must be 1.3 or 1.2, got {focus_version!r}")
    engine = engine or dlt.config.get(ENGINE_KEY, str) or "auto"
    if engine not in ("auto", "duckdb", "arrow"):
        raise UsageError(f"FINOPS__EXPORT_ENGINE must be auto, duckdb or arrow, got {engine!r}")
    require_sql_engine(pipeline, "export")
    fast_possible = destination_type(pipeline) in ("duckdb", "motherduck") and not is_url(out_dir)
    if engine == "duckdb" and not fast_possible:
        raise UsageError("FINOPS__EXPORT_ENGINE=duckdb needs a DuckDB destination and a local --out")
    fast = fast_possible and engine != "arrow"
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    dataset = pipeline.dataset_name
    view_name = f"cost_and_usage_v{focus_version.replace('.', '_')}"
    with pipeline.sql_client() as client:
        columns = _columns_or_nothing(client, dataset, view_name)
        target = ExportTarget(out_dir, run_id)
        view = client.make_qualified_table_name(view_name)
        try:
            if fast:
                from pipelines import export_duckdb as path

                path.session(client.native_connection)
                partitions = path.write_months(client.native_connection, target, view, columns, since)
            else:
                from pipelines import export_arrow as path

                partitions = [path.write_month(client, target, view, columns, month,
                                               f"cost_and_usage/billing_month={month}/part-0.parquet")
                              for month in path.billing_months(client, view, since)]
            rollups = []
            for rollup in ROLLUPS:
                rollup_columns = table_columns(client, dataset, rollup, focus_names=False)
                if rollup_columns:
                    con = client.native_connection if fast else client
                    path.write_table(con, target, client.make_qualified_table_name(rollup), rollup_columns,
                                     f"{rollup}.parquet")
                    rollups.append(rollup)
            for part in partitions:
                target.publish(part["path"], keep_only_in_dir=True)
            for rollup in rollups:
                target.publish(f"{rollup}.parquet")
            sidecar = {"focus_version": focus_version, "run_id": run_id,
                       "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       "table": "cost_and_usage", "partitioning": "billing_month (hive)", "since": since,
                       "engine": "duckdb" if fast else "arrow", "partitions": partitions,
                       "rollups": [f"{r}.parquet" for r in rollups]}
            with target.open_staged(SIDECAR) as handle:
                handle.write(json.dumps(sidecar, indent=2, default=str).encode())
            target.publish(SIDECAR)
        finally:
            target.cleanup()
    return sidecar


def _columns_or_nothing(client, dataset: str, view: str) -> list:  # noqa: ANN001
    try:
        columns = table_columns(client, dataset, view, focus_names=True)
    except Exception:  # noqa: BLE001 - a destination with no information_schema entry for us yet
        columns = []
    if not columns:
        raise UsageError("nothing to export yet: run `finops-etl run` (or `transform`) first")
    return columns

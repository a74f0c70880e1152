"""Run history in the destination (`_run_history`), and the `status` view built from it."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import dlt
from dlt.pipeline.progress import _NULL_COLLECTOR

from pipelines.runner import RunOutcome

HISTORY_TABLE = "_run_history"
DATA_TABLES = {
    "cloudflare_billing": ["cloudflare_billable_usage"],
    "ai_gateway": ["ai_gateway_usage_history", "ai_gateway_spending_limits"],
    "venice": ["venice_billing_usage"],
    "focus_files": ["focus_files_cost_and_usage"],
}
STATE_KEYS = {  # where each source keeps its high-water marks in the dlt state
    "cloudflare_billing": ("cloudflare_billable_usage", "last_loaded_day"),
    "ai_gateway": ("ai_gateway_usage_history", "last_loaded"),
    "venice": ("venice_billing_usage", "last_loaded"),
    "focus_files": ("focus_files_cost_and_usage", "last_loaded"),
}


def record_run(pipeline: dlt.Pipeline, outcome: RunOutcome) -> None:
    rows = [{
        "started_at": outcome.started_at, "command": outcome.command, "source": r.source,
        "result": r.result, "exit_code": r.exit_code, "requests": r.requests, "windows": r.windows,
        "rows_loaded": r.rows_loaded, "rows_rejected": r.rows_rejected,
        "duration_seconds": round(r.duration_seconds, 3),
        "not_covered": json.dumps(r.not_covered) if r.not_covered else None,
        "message": "; ".join(e.message for e in r.errors) or r.skipped,
    } for r in outcome.reports]
    if not rows or _insert(pipeline, rows):
        return
    # the table's first rows (or new columns): a dlt load creates or evolves it
    # no progress lines for this bookkeeping load (the collector is the pipeline's, shared by every step)
    collector, pipeline.collector = pipeline.collector, _NULL_COLLECTOR
    try:
        pipeline.run(rows, table_name=HISTORY_TABLE, write_disposition="append", columns={
            "not_covered": {"data_type": "text"}, "message": {"data_type": "text"}})
    finally:
        pipeline.collector = collector


def _insert(pipeline: dlt.Pipeline, rows: list[dict[str, Any]]) -> bool:
    """Append to an existing `_run_history` with one INSERT: a dlt load of four rows costs ~0.4 s (normalize,
    schema checks, a load package), which is most of a cron run that has nothing to load. False when the table
    is not there yet or does not take these columns (a lake, an older table): then dlt loads them."""
    columns = [*rows[0], "_dlt_load_id", "_dlt_id"]
    load_id = f"{time.time():.7f}"  # dlt's own form; _dlt_loads does not list it (the raw tables' loads only)
    values = [[*row.values(), load_id, secrets.token_urlsafe(10)] for row in rows]
    try:
        with pipeline.sql_client() as client:
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(values))
            client.execute_sql(f"INSERT INTO {client.make_qualified_table_name(HISTORY_TABLE)} "
                               f"({', '.join(columns)}) VALUES {placeholders}", *[v for row in values for v in row])
    except Exception:  # noqa: BLE001 - no table yet, or another shape: the dlt load below handles both
        return False
    return True


def _high_water_marks(pipeline: dlt.Pipeline, source: str) -> dict[str, Any]:
    resource, key = STATE_KEYS[source]
    try:
        return pipeline.state["sources"][source]["resources"][resource][key]  # type: ignore[index]
    except KeyError:
        return {}


def print_status(pipeline: dlt.Pipeline, sources: list[str]) -> None:
    from pipelines.destinations import is_lake, lake_row_count

    try:
        pipeline.sync_destination()
    except Exception:  # noqa: BLE001 - nothing loaded yet is a valid status
        pass
    with pipeline.sql_client() as client:
        def query(sql: str, *args: Any) -> list[tuple]:
            try:
                return client.execute_sql(sql, *args) or []
            except Exception:  # noqa: BLE001 - table not created yet
                return []

        history = client.make_qualified_table_name(HISTORY_TABLE)
        for source in sources:
            last = query(f"SELECT started_at, command, result, exit_code, rows_loaded, not_covered, message "
                         f"FROM {history} WHERE source = %s ORDER BY started_at DESC LIMIT 1", source)
            print(f"{source}")
            if last:
                started, command, result, code, loaded, not_covered, message = last[0]
                print(f"  last run: {result} (exit {code}) `{command}` at {started}, {loaded} rows loaded")
                if message:
                    print(f"  note: {message}")
                for account, why in (json.loads(not_covered) if not_covered else {}).items():
                    print(f"  NOT COVERED {account}: {why}")
            else:
                print("  last run: never")
            for scope, mark in sorted(_high_water_marks(pipeline, source).items()):
                print(f"  {scope}: loaded through {mark}")
            for table in DATA_TABLES[source]:
                if is_lake(pipeline):
                    print(f"  {table}: {lake_row_count(pipeline, table)} rows")
                    continue
                rows = query(f"SELECT count(*) FROM {client.make_qualified_table_name(table)}")
                print(f"  {table}: {rows[0][0] if rows else 0} rows")


def last_loaded(pipeline: dlt.Pipeline, source: str) -> dict[str, Any]:
    """Per account (and grain) of `source`, how far it is loaded: the high-water marks `status` prints."""
    return _high_water_marks(pipeline, source)


def last_run(client: Any, source: str) -> dict[str, Any] | None:
    """The newest `_run_history` row of `source`, as a dict; None when it never ran (or nothing was loaded)."""
    history = client.make_qualified_table_name(HISTORY_TABLE)
    try:
        with client.execute_query(f"SELECT started_at, command, result, exit_code, rows_loaded, not_covered, "
                                  f"message FROM {history} WHERE source = %s ORDER BY started_at DESC LIMIT 1",
                                  source) as cursor:
            names = [c[0] for c in cursor.description]
            row = cursor.fetchone()
    except Exception:  # noqa: BLE001 - table not created yet
        return None
    return dict(zip(names, row, strict=True)) if row else None

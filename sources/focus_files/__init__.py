"""Other providers' FOCUS exports (AWS, Azure, Google Cloud, OCI, ...): CSV, gzip CSV or Parquet files in any
folder or bucket dlt's `filesystem` source can list, loaded into one table in our FOCUS 1.3 shape."""

from __future__ import annotations

import logging
from typing import Any, Iterator

import dlt
import orjson
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.sources.filesystem import filesystem

from pipelines.errors import ProviderFailing
from sources.arrow_records import Rejection
from sources.focus_files.helpers import (
    Export, detect_version, missing_mandatory, parse_exports, read_batches, shape,
)
from sources.focus_files.settings import (
    DECIMAL_COLUMNS, FILE_COLUMNS, FOCUS_1_3_COLUMNS, JSON_COLUMNS, SOURCE, TABLE, TIME_COLUMNS,
)
from sources.loading import MERGE_DEDUPLICATED
from sources.quarantine import quarantined
from sources.run_report import SourceReport

log = logging.getLogger("finops_etl")
_naming = NamingConvention()


class _JsonHintNotice(logging.Filter):
    """dlt warns on every page that our `json` hint differs from Arrow's `text`: the hint is what we mean."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (TABLE in str(record.msg) and "several column hints were different" in str(record.msg))


logging.getLogger("dlt").addFilter(_JsonHintNotice())
COLUMN_HINTS: dict[str, dict[str, Any]] = {
    **{_naming.normalize_identifier(c): {"data_type": "decimal", "precision": 38, "scale": 10}
       for c in DECIMAL_COLUMNS},
    **{_naming.normalize_identifier(c): {"data_type": "timestamp", "timezone": True} for c in TIME_COLUMNS},
    **{_naming.normalize_identifier(c): {"data_type": "json"} for c in JSON_COLUMNS},
    **{_naming.normalize_identifier(c): {"data_type": "text"} for c in FOCUS_1_3_COLUMNS
       if c not in DECIMAL_COLUMNS + TIME_COLUMNS + JSON_COLUMNS},
    "x_export_provider": {"data_type": "text", "nullable": False},
    "x_focus_version": {"data_type": "text", "nullable": False},
    "x_file": {"data_type": "text", "nullable": False, "merge_key": True},
    "x_file_modified": {"data_type": "timestamp", "timezone": True, "nullable": False},
    "x_file_size": {"data_type": "bigint"},
    "x_row": {"data_type": "bigint", "nullable": False},
}
assert set(FILE_COLUMNS) <= set(COLUMN_HINTS)

# The table's contract, given with each page rather than on the resource: dlt starts every table variant from
# the resource's own hints, and `_rejected_records` (a variant) must not get our columns and keys.
# The merge key alone replaces a file's rows: (x_file, x_row) is unique by construction, and naming it as
# primary key too makes dlt's DELETE an OR-join that ran out of DuckDB's 256 MB on a 200k-row re-delivery.
TABLE_HINTS = dlt.mark.make_hints(table_name=TABLE, merge_key="x_file", write_disposition=MERGE_DEDUPLICATED,
                                  columns=COLUMN_HINTS)
APPEND_HINTS = dlt.mark.make_hints(table_name=TABLE, merge_key="x_file", write_disposition="append",
                                   columns=COLUMN_HINTS)


@dlt.source(name=SOURCE, section="focus_files", max_table_nesting=0)
def focus_files(exports: Any = dlt.config.value, report: Any = None) -> Any:
    """Every configured export's files. Incremental by file: a file is read again only when its size or
    modification time changed, and then its rows replace the rows the earlier version of the file gave."""
    configured = parse_exports(exports)
    report = report or SourceReport(SOURCE)

    @dlt.resource(name=TABLE, write_disposition=MERGE_DEDUPLICATED)  # keys and columns: TABLE_HINTS
    def cost_and_usage() -> Iterator[Any]:
        state = dlt.current.resource_state()
        seen: dict[str, dict[str, Any]] = state.setdefault("files", {})
        marks: dict[str, str] = state.setdefault("last_loaded", {})
        plan = files_to_read(configured, seen)
        # Rows of a file never loaded cannot be in the table: append them (one COPY); a re-delivered file
        # needs the merge, which deletes the rows of its earlier version.
        redelivered = any(seen.get(item["file_url"], {}).get("rows") for _, item, _ in plan)
        hints = TABLE_HINTS if redelivered else APPEND_HINTS
        for export, item, version in plan:
            outcome: dict[str, Any] = {}
            yield from read_file(export, item, report, outcome, hints)
            seen[item["file_url"]] = {**version, **outcome}
            report.add(windows=1)
        for export in configured:
            loaded = [f["modified"] for f in seen.values() if f.get("export") == export.url]
            if loaded:
                marks[f"{export.provider} {export.url}"] = f"{max(loaded)} ({len(loaded)} files)"
            log.info("focus_files: %s %s: %d new or changed file(s)", export.provider, export.url,
                     sum(1 for e, _, _ in plan if e is export))

    return cost_and_usage


def files_to_read(configured: list[Export], seen: dict[str, dict[str, Any]]) -> list[tuple[Export, Any, dict]]:
    """Each export's files (dlt's `filesystem` lists them) that are new or changed in size or modification
    time; a file matched by two exports is read once, for the first."""
    plan, planned = [], set()
    for export in configured:
        bucket, glob = export.bucket_and_glob
        for item in filesystem(bucket_url=bucket, file_glob=glob):  # file items, one by one
            version = {"modified": item["modification_date"].isoformat(), "size": item.get("size_in_bytes")}
            known = seen.get(item["file_url"])
            if item["file_url"] in planned or (known and {k: known.get(k) for k in version} == version):
                continue  # unchanged since it was loaded (or quarantined)
            plan.append((export, item, version))
            planned.add(item["file_url"])
    return plan


def read_file(export: Export, item: Any, report: SourceReport, outcome: dict[str, Any],
              hints: Any = None) -> Iterator[Any]:
    """One file's rows in our shape. A file that is not FOCUS (mandatory columns missing) or cannot be opened
    goes to `_rejected_records` whole, once per version of the file; a file that breaks midway stops the
    run (its rows so far must not replace the earlier version's)."""
    outcome.update(export=export.url, rows=0)
    batches = read_batches(item)
    try:
        first = next(batches, None)
    except Exception as exc:  # noqa: BLE001 - any reader error on open: the file is not readable as CSV/Parquet
        yield _reject_file(item, report, outcome, f"unreadable file: {type(exc).__name__}: {exc}")
        return
    if first is None:
        yield _reject_file(item, report, outcome, "unreadable file: no header")
        return
    missing = missing_mandatory(first.column_names)
    if missing:
        yield _reject_file(item, report, outcome,
                           f"not a FOCUS file: missing mandatory column(s) {', '.join(missing)}")
        return
    version = export.focus_version or detect_version(first.column_names)
    outcome["version"] = version
    row = 1
    table: Any = first
    while table is not None:
        shaped, rejections = shape(table, version, export.provider, item, row)
        row += table.num_rows
        outcome["rows"] += shaped.num_rows
        if shaped.num_rows:
            yield dlt.mark.with_hints(shaped, hints or TABLE_HINTS, create_table_variant=True)
        if rejections:
            report.add(rejected=len(rejections))
            yield quarantined(SOURCE, rejections)
        try:
            table = next(batches, None)
        except Exception as exc:  # noqa: BLE001 - the rest of the file is unreadable
            raise ProviderFailing(f"focus_files: {item['file_url']} is unreadable after row {row - 1}: "
                                  f"{type(exc).__name__}: {exc}") from None


def _reject_file(item: Any, report: SourceReport, outcome: dict[str, Any], reason: str) -> Any:
    log.warning("focus_files: %s: %s", item["file_url"], reason)
    outcome["rejected"] = reason
    report.add(rejected=1)
    payload = orjson.dumps({"file": item["file_url"], "modified": item["modification_date"].isoformat(),
                            "size": item.get("size_in_bytes")}).decode()
    return quarantined(SOURCE, [Rejection(payload, reason, item["file_url"])])

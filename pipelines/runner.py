"""Loading: one dlt pipeline, each configured source run on its own so one failure never sinks the rest."""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.progress import _NULL_COLLECTOR

from pipelines.errors import FinopsError, ProviderFailing, UsageError, worst_exit_code
from sources.run_report import SourceReport

log = logging.getLogger("finops_etl")

PIPELINE_NAME = "finops_etl"
DATASET_NAME = "finops"
SOURCE_NAMES = ("cloudflare_billing", "ai_gateway", "venice")
DUCKDB_MEMORY_LIMIT = "256MB"
CREDENTIAL_HINTS = {
    "cloudflare_billing": "SOURCES__CLOUDFLARE__API_TOKEN and SOURCES__CLOUDFLARE__ACCOUNT_IDS",
    "ai_gateway": "SOURCES__CLOUDFLARE__API_TOKEN and SOURCES__CLOUDFLARE__ACCOUNT_IDS",
    "venice": "SOURCES__VENICE__API_KEY",
}


@dataclass
class RunOutcome:
    command: str
    started_at: datetime
    reports: list[SourceReport] = field(default_factory=list)
    transform_error: FinopsError | None = None
    fail_on_rejected: bool = False

    @property
    def exit_code(self) -> int:
        codes = [r.exit_code for r in self.reports]
        if self.fail_on_rejected and any(r.rows_rejected for r in self.reports):
            codes.append(1)
        if self.transform_error:
            codes.append(self.transform_error.exit_code)
        return worst_exit_code(codes)


def make_pipeline(progress: str | None = None) -> dlt.Pipeline:
    """The one pipeline. Destination by dlt config (`destination_type`), DuckDB when none is set."""
    configured = dlt.config.get("destination_type", str)
    # Arrow tables get `_dlt_load_id` too: restatements and the quarantine point at the load that brought a row.
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    # DuckDB would take up to 80% of RAM for a big merge; cap it (it spills to disk) so a years-long backfill
    # fits beside other jobs. Set DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG yourself to override.
    os.environ.setdefault("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG",
                          json.dumps({"memory_limit": DUCKDB_MEMORY_LIMIT}))
    # Arrow's default pool (mimalloc) keeps what a backfill's pages freed, which sat on top of DuckDB's share
    # during the load (peak 670 MB on the FOCUS bench); the system allocator hands big buffers back (485 MB).
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    duckdb_file = None if configured else _default_duckdb_file()
    if configured == "postgres":
        _allow_passwordless_postgres()
    collector: Any = _NULL_COLLECTOR
    if progress == "log":  # plain progress lines through our own logger (stderr), not dlt's stdout
        collector = dlt.progress.log(log_period=5.0, logger=logging.getLogger("finops_etl.progress"),
                                     dump_system_stats=False)
    elif progress:
        collector = progress
    pipeline = dlt.pipeline(pipeline_name=PIPELINE_NAME, dataset_name=DATASET_NAME,
                            destination=None if configured else "duckdb", progress=collector)
    if duckdb_file is not None and not duckdb_file.exists() and pipeline.first_run is False:
        # The local state (high-water marks, pending packages) belongs to a DuckDB file that is not here:
        # keeping it would make this new file skip everything "already loaded". State lives with the data.
        log.info("no %s yet: starting this pipeline's local state afresh", duckdb_file)
        pipeline = pipeline.drop()
    return pipeline


def _allow_passwordless_postgres() -> None:
    """dlt insists on a Postgres password even where the server trusts the connection (trust auth, a local
    socket, .pgpass): when none is configured, an empty one lets libpq decide."""
    if any(os.environ.get(key) is not None for key in ("DESTINATION__POSTGRES__CREDENTIALS__PASSWORD",
                                                       "DESTINATION__CREDENTIALS__PASSWORD")):
        return
    configured = dlt.secrets.get("destination.postgres.credentials")
    if isinstance(configured, dict):
        has_password = configured.get("password") is not None
    elif isinstance(configured, str):
        from dlt.common.configuration.specs import ConnectionStringCredentials

        has_password = ConnectionStringCredentials(configured).password is not None
    else:
        has_password = False
    if not has_password:
        os.environ["DESTINATION__POSTGRES__CREDENTIALS__PASSWORD"] = ""


def _default_duckdb_file() -> Path:
    """The DuckDB file, absolute. dlt resolves a relative default against the directory where the
    pipeline was first created, not the current one; pin it to the working directory (DESIGN.md)."""
    configured = os.environ.get("DESTINATION__DUCKDB__CREDENTIALS") or dlt.secrets.get(
        "destination.duckdb.credentials")
    if isinstance(configured, dict):
        configured = configured.get("database")
    path = Path(configured) if isinstance(configured, str) and configured else Path(f"{PIPELINE_NAME}.duckdb")
    path = path.resolve()
    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(path)
    return path


def parse_sources(value: str | None) -> list[str]:
    if not value:
        return list(SOURCE_NAMES)
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SOURCE_NAMES]
    if unknown or not names:
        raise UsageError(f"unknown source {', '.join(unknown) or value!r}; choose from {', '.join(SOURCE_NAMES)}")
    return names


def build_source(name: str, report: SourceReport, backfill: tuple[date, date] | None) -> Any:
    window = {} if backfill is None else {"backfill_start": backfill[0].isoformat(),
                                          "backfill_end": backfill[1].isoformat()}
    if name == "cloudflare_billing":
        from sources.cloudflare_billing import cloudflare_billing
        return cloudflare_billing(report=report, **window)
    if name == "ai_gateway":
        from sources.ai_gateway import ai_gateway
        return ai_gateway(report=report, **window)
    from sources.venice import venice
    return venice(report=report, **window)


def _root_cause(exc: BaseException) -> BaseException:
    """dlt wraps what a resource raised; the user needs our own message, not the wrapper's."""
    seen = exc
    while True:
        if isinstance(seen, FinopsError):
            return seen
        nxt = seen.__cause__ or seen.__context__
        if nxt is None:
            return exc
        seen = nxt


def run_source(pipeline: dlt.Pipeline, name: str, backfill: tuple[date, date] | None) -> SourceReport:
    report = SourceReport(name)
    started = time.monotonic()
    try:
        source = build_source(name, report, backfill)
    except ConfigFieldMissingException as exc:
        report.skipped = f"not configured (set {CREDENTIAL_HINTS[name]}; missing: {', '.join(exc.fields)})"
        return report
    try:
        pipeline.run(source)
        normalized = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
        counts = normalized.row_counts if normalized else {}  # None when the run had nothing to normalize
        if pipeline.last_trace:
            log.debug("%s: %s", name, ", ".join(f"{s.step} {(s.finished_at - s.started_at).total_seconds():.2f}s"
                                                  for s in pipeline.last_trace.steps))
        report.rows_loaded = sum(n for table, n in counts.items()
                                 if not table.startswith("_dlt") and table != "_rejected_records")
    except PipelineStepFailed as exc:
        cause = _root_cause(exc)
        if not isinstance(cause, FinopsError):
            log.debug("pipeline step failed", exc_info=exc)
            cause = ProviderFailing(f"{name}: the {exc.step} step failed: {type(cause).__name__}: {cause}")
        report.errors.append(cause)
    except FinopsError as exc:
        report.errors.append(exc)
    report.duration_seconds = time.monotonic() - started
    return report


def load(command: str, sources: list[str], backfill: tuple[date, date] | None = None,
         after_load: Callable[[dlt.Pipeline, RunOutcome], None] | None = None,
         progress: str | None = None) -> RunOutcome:
    """Run each selected source, then `after_load` (transforms, run history) under the same lock."""
    from pipelines.lock import run_lock

    policy = dlt.config.get("finops.on_rejected_records", str) or "continue"
    if policy not in ("continue", "fail"):
        raise UsageError(f"FINOPS__ON_REJECTED_RECORDS must be 'continue' or 'fail', got {policy!r}")
    pipeline = make_pipeline(progress)
    outcome = RunOutcome(command, datetime.now(timezone.utc), fail_on_rejected=policy == "fail")
    with run_lock(pipeline.working_dir, command):
        for name in sources:
            outcome.reports.append(run_source(pipeline, name, backfill))
        if after_load is not None:
            after_load(pipeline, outcome)
    return outcome

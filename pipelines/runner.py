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
from dlt.common.configuration.exceptions import ConfigFieldMissingException, ConfigValueCannotBeCoercedException
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.progress import _NULL_COLLECTOR

from pipelines.destinations import check_loadable, prepare_source
from sources.config_checks import config_type_error
from pipelines.errors import FinopsError, UsageError, worst_exit_code
from sources.run_report import SourceReport

log = logging.getLogger("finops_etl")

PIPELINE_NAME = "finops_etl"
DATASET_NAME = "finops"
SOURCE_NAMES = ("cloudflare_billing", "ai_gateway", "venice", "focus_files")
DUCKDB_MEMORY_LIMIT = "256MB"
CREDENTIAL_HINTS = {
    "cloudflare_billing": "SOURCES__CLOUDFLARE__API_TOKEN and SOURCES__CLOUDFLARE__ACCOUNT_IDS",
    "ai_gateway": "SOURCES__CLOUDFLARE__API_TOKEN and SOURCES__CLOUDFLARE__ACCOUNT_IDS",
    "venice": "SOURCES__VENICE__API_KEY",
    "focus_files": "SOURCES__FOCUS_FILES__EXPORTS",
}


@dataclass
class RunOutcome:
    command: str
    started_at: datetime
    reports: list[SourceReport] = field(default_factory=list)
    transform_error: FinopsError | None = None
    fail_on_rejected: bool = False
    # failures of the run itself, not of one source (the warehouse, the run history)
    errors: list[FinopsError] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        codes = [r.exit_code for r in self.reports] + [e.exit_code for e in self.errors]
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
        from pipelines.progress import ProgressLines

        collector = ProgressLines(log_period=5.0)
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
    if name == "focus_files":  # whole files, incremental by file: a backfill window does not apply
        from sources.focus_files import focus_files
        return focus_files(report=report)
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


def _step_failure(name: str, exc: PipelineStepFailed) -> FinopsError:
    """What a failed dlt step means for cron: our own error if a resource raised one, the warehouse's named
    cause if it was the warehouse, else the step and the library's message (exit 1: not the provider's)."""
    from pipelines.warehouse import warehouse_failure

    cause = _root_cause(exc)
    if isinstance(cause, FinopsError):
        return cause
    log.debug("pipeline step failed", exc_info=exc)
    return warehouse_failure(exc) or FinopsError(
        f"{name}: the {exc.step} step failed: {type(cause).__name__}: {cause}")


def extract_source(pipeline: dlt.Pipeline, name: str, backfill: tuple[date, date] | None,
                   report: SourceReport | None = None) -> tuple[SourceReport, list[str]]:
    """Build and extract one source: its provider's failures stay its own. Returns the report and the ids of
    the load packages it extracted (loaded later, with every other source's, by `load_extracted`)."""
    report = report or SourceReport(name)
    started = time.monotonic()
    if name == "focus_files" and not _files_configured():  # not even imported (dlt's filesystem source, fsspec)
        report.skipped = f"not configured (set {CREDENTIAL_HINTS[name]}; missing: exports)"
        return report, []
    try:
        source = build_source(name, report, backfill)
    except ConfigFieldMissingException as exc:
        report.skipped = f"not configured (set {CREDENTIAL_HINTS[name]}; missing: {', '.join(exc.fields)})"
        return report, []
    except ConfigValueCannotBeCoercedException as exc:
        report.errors.append(config_type_error(name, exc))
        return report, []
    except FinopsError as exc:  # a configuration check
        report.errors.append(exc)
        return report, []
    load_ids: list[str] = []
    try:
        load_ids = list(pipeline.extract(prepare_source(pipeline, source)).loads_ids)
    except PipelineStepFailed as exc:
        report.errors.append(_step_failure(name, exc))
    except FinopsError as exc:
        report.errors.append(exc)
    report.duration_seconds += time.monotonic() - started
    log.debug("%s: extract %.2fs", name, report.duration_seconds)
    return report, load_ids


def load_extracted(pipeline: dlt.Pipeline, extracted: dict[str, list[str]], reports: dict[str, SourceReport]
                   ) -> None:
    """One normalize and one load for every source's packages (one warehouse connection, not one per source).

    A failure here is the warehouse's or the load step's, not a provider's: every source whose rows were in
    it gets the error, and its packages wait for the next run, which loads them before anything new."""
    if not pipeline.list_extracted_load_packages():
        return
    if not any(_has_jobs(pipeline, load_id) for load_ids in extracted.values() for load_id in load_ids):
        # nothing was extracted (every re-read matched what is loaded, no state moved): the packages are empty
        # and a normalize and a load would only open the warehouse to find that out
        storage = pipeline._get_normalize_storage()  # noqa: SLF001 - dlt has no public call to drop one package
        for load_ids in extracted.values():
            for load_id in load_ids:
                storage.extracted_packages.delete_package(load_id)
        if not pipeline.list_extracted_load_packages():
            return
    started = time.monotonic()
    try:
        normalized = pipeline.normalize()
        normalize_done = time.monotonic()
        pipeline.load()
    except PipelineStepFailed as exc:
        error = _step_failure(", ".join(extracted) or "load", exc)
        for name in extracted:
            reports[name].errors.append(error)
        return
    log.debug("normalize %.2fs, load %.2fs (%s)", normalize_done - started, time.monotonic() - normalize_done,
              ", ".join(extracted))
    for name, load_ids in extracted.items():
        for load_id in load_ids:
            for metrics in (normalized.metrics or {}).get(load_id, []):
                reports[name].rows_loaded += sum(m.items_count for table, m in metrics["table_metrics"].items()
                                                 if _is_data_table(table))
        reports[name].duration_seconds += time.monotonic() - started


def _files_configured() -> bool:
    """Whether `exports` is set where dlt would find it for the focus_files source (its section, its name)."""
    return any(dlt.config.get(key) is not None for key in (
        "sources.focus_files.focus_files.exports", "sources.focus_files.exports", "sources.exports"))


def _has_jobs(pipeline: dlt.Pipeline, load_id: str) -> bool:
    """Whether an extracted package holds any file to load (rows of any table, the state included)."""
    return bool(pipeline._get_normalize_storage().extracted_packages.list_new_jobs(load_id))  # noqa: SLF001


def _is_data_table(table: str) -> bool:
    return not table.startswith("_dlt") and table not in ("_rejected_records", "_run_history")


def load(command: str, sources: list[str], backfill: tuple[date, date] | None = None,
         after_load: Callable[[dlt.Pipeline, RunOutcome], None] | None = None,
         progress: str | None = None,
         warm_up: Callable[[dlt.Pipeline], Callable[[], None] | None] | None = None) -> RunOutcome:
    """Run each selected source, then `after_load` (transforms, run history) under the same lock. `warm_up`
    makes work for `after_load` that a source waiting on a rate limit may start early (sources/idle_work.py).

    Packages an interrupted run left behind are loaded first (dlt's `run` would load only those and skip the
    extract it was asked for); a warehouse that cannot be opened ends the run before any request."""
    from pipelines.lock import run_lock
    from pipelines.pending import finish_pending
    from pipelines.warehouse import check_warehouse, warehouse_failure

    policy = dlt.config.get("finops.on_rejected_records", str) or "continue"
    if policy not in ("continue", "fail"):
        raise UsageError(f"FINOPS__ON_REJECTED_RECORDS must be 'continue' or 'fail', got {policy!r}")
    pipeline = make_pipeline(progress)
    check_loadable(pipeline, sources)  # a destination that would degrade a merge to an append is refused up front
    outcome = RunOutcome(command, datetime.now(timezone.utc), fail_on_rejected=policy == "fail")
    reports = {name: SourceReport(name) for name in sources}
    with run_lock(pipeline.working_dir, command):
        try:
            check_warehouse()
            finish_pending(pipeline, reports)
        except Exception as exc:  # noqa: BLE001 - whatever stops the run here, the summary still prints
            outcome.errors.append(exc if isinstance(exc, FinopsError) else warehouse_failure(exc) or FinopsError(
                f"finishing an interrupted run's packages failed: {type(exc).__name__}: {exc}"))
            outcome.reports = list(reports.values())
            return outcome
        from sources import idle_work

        head_start = None
        try:
            head_start = warm_up(pipeline) if warm_up is not None else None
        except Exception:  # noqa: BLE001 - e.g. a bad price sheet: the transform reports it, after the load stands
            log.debug("no head start for the transforms", exc_info=True)
        if head_start is not None:
            idle_work.register(head_start)
        try:
            extracted = {}
            for name in sources:
                _, load_ids = extract_source(pipeline, name, backfill, reports[name])
                if load_ids:
                    extracted[name] = load_ids
            load_extracted(pipeline, extracted, reports)
            outcome.reports = list(reports.values())
            if after_load is not None:
                after_load(pipeline, outcome)
        finally:
            idle_work.settle()
    return outcome

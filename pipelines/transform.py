"""Run the dbt project in transforms/ in-process, on the pipeline's own destination, and report as we do.

dbt is called through its Python API (`dbtRunner`), in this interpreter: no venv, no subprocess, no network
(usage stats and the version check are off). Its profile is written from the pipeline's destination
credentials into a private directory under the pipeline's working dir, with secrets passed by environment;
its target and logs go there too (the package itself may be installed read-only), so partial parsing holds
between runs. `dbt build` runs seeds and models; the dbt tests are what `dbt test` (and our test suite) run.

cost_and_usage is an incremental model that takes in only the rows of new loads. What its rows are made of,
our SQL, the price sheet and the parameters, is fingerprinted: when the fingerprint moves, the project is
built with --full-refresh (cost_restatements keeps its history through that).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import logging
import os
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

import dlt

from pipelines.dbt_profile import profile_for, write_profile
from pipelines.duckdb_session import EXPORT_MEMORY_LIMIT, analytic_session  # noqa: F401 - export uses them
from pipelines.errors import FinopsError, UsageError

log = logging.getLogger("finops_etl")

PRICE_SHEET = "cloudflare_list_prices.csv"
UNIT_MAPPING = "focus_unit_mapping.csv"  # delivered unit -> FOCUS UnitFormat (issue 14)
FINGERPRINT = "build_fingerprint"
DBT_ENV = {"DBT_VERSION_CHECK": "false", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_PARTIAL_PARSE": "true",
           "DBT_USE_COLORS": "false", "DBT_PRINTER_WIDTH": "120", "PGTZ": "UTC"}


def project_dir() -> Path:
    return Path(str(resources.files("transforms")))


def _value_scale() -> float:
    scale = dlt.config.get("sources.cloudflare.value_scale")
    try:
        value = float(scale) if scale is not None else 1.0
    except (TypeError, ValueError):
        value = -1.0
    if value <= 0:
        raise UsageError(f"SOURCES__CLOUDFLARE__VALUE_SCALE must be a positive number, got {scale!r}")
    return value


def _price_sheet() -> bytes:
    configured = dlt.config.get("sources.cloudflare.price_sheet")
    path = Path(configured) if configured else project_dir() / "seeds" / PRICE_SHEET
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"SOURCES__CLOUDFLARE__PRICE_SHEET: cannot read {path}: {exc.strerror}") from None
    header = next(csv.reader([data.decode("utf-8-sig").splitlines()[0] if data else ""]), [])
    missing = {"x_billable_metric_id", "list_unit_price_usd"} - set(header)
    if missing:
        raise UsageError(f"price sheet {path} lacks column(s) {', '.join(sorted(missing))}")
    return data


def _fingerprint(sheet: bytes, variables: dict[str, Any]) -> str:
    """Our SQL, macros and project file, the price sheet and the parameters: what cost_and_usage is made of."""
    digest = hashlib.sha256(json.dumps(variables, sort_keys=True).encode() + sheet)
    root = project_dir()
    for path in sorted(root.rglob("*")):  # SQL, not the docs and tests beside it
        if (path.suffix == ".sql" and path.parts[len(root.parts)] in ("models", "macros")) \
                or path.name in ("dbt_project.yml", UNIT_MAPPING):
            digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


class DbtWork:
    """The pipeline's private dbt directories, the variables and the fingerprint of this build."""

    def __init__(self, pipeline: dlt.Pipeline):
        self.root = Path(pipeline.working_dir) / "dbt"
        self.variables = {"finops_dataset": pipeline.dataset_name, "value_scale": _value_scale()}
        self.sheet = _price_sheet()
        self.fingerprint = _fingerprint(self.sheet, self.variables)

    def up_to_date(self) -> bool:
        """The last build succeeded with this very SQL, sheet and parameters."""
        path = self.root / FINGERPRINT
        return path.exists() and path.read_text() == self.fingerprint

    def seed_dir(self) -> Path:
        seeds = self.root / "seeds"
        seeds.mkdir(parents=True, exist_ok=True)
        target = seeds / PRICE_SHEET
        if not target.exists() or target.read_bytes() != self.sheet:
            target.write_bytes(self.sheet)
        mapping = (project_dir() / "seeds" / UNIT_MAPPING).read_bytes()  # FOCUS UnitFormat; not configurable
        if not (seeds / UNIT_MAPPING).exists() or (seeds / UNIT_MAPPING).read_bytes() != mapping:
            (seeds / UNIT_MAPPING).write_bytes(mapping)
        return seeds

    def record_success(self) -> None:
        (self.root / FINGERPRINT).write_text(self.fingerprint)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _profile(pipeline: dlt.Pipeline, work: DbtWork) -> tuple[Path, dict[str, str]]:
    own = dlt.config.get("finops.dbt_profiles_dir")
    if own:
        return Path(own), {}
    client = pipeline.destination_client()
    output, env = profile_for(pipeline.destination.destination_type.split(".")[-1], client.config.credentials,
                              pipeline.dataset_name)
    return write_profile(work.root / "profile", output), env


def transforms_needed(pipeline: dlt.Pipeline, loaded_rows: int) -> bool:
    """After a load: dbt starts only when a load brought rows, or the last build failed or is out of date
    (new SQL, price sheet or parameters). A look-back re-read counts as rows: dlt loads it again."""
    return loaded_rows > 0 or not DbtWork(pipeline).up_to_date()


def warm_up(pipeline: dlt.Pipeline, parse: bool) -> Callable[[], None] | None:
    """What a run that waits on a rate limit can do ahead of its transforms (sources/idle_work.py): import dbt
    (~2 s) and, if `parse`, parse the project, which the build then reuses (partial parsing: ~0.5 s where a fresh
    pipeline directory's first parse takes ~4 s). The profile is made here, in the main thread (dlt's contexts
    are thread-bound); the work itself runs in another thread and touches no database."""
    from pipelines.destinations import is_lake

    if is_lake(pipeline):
        return None
    prepared = None
    if parse:
        work = DbtWork(pipeline)
        prepared = (work, *_profile(pipeline, work))

    def head_start() -> None:
        from dbt.cli.main import dbtRunner  # noqa: F401 - the import is the point

        if prepared is not None:
            _run_dbt(*prepared, ["parse"])
    return head_start


def _invoke(pipeline: dlt.Pipeline, work: DbtWork, command: list[str]) -> Any:
    """One dbt command in this process, on the pipeline's destination, with our private directories."""
    from sources import idle_work

    idle_work.settle()  # a head start still parsing must end before dbt runs again
    return _run_dbt(work, *_profile(pipeline, work), command)


def _run_dbt(work: DbtWork, profiles: Path, env: dict[str, str], command: list[str]) -> Any:
    from dbt.cli.main import dbtRunner

    args = [*command, "--project-dir", str(project_dir()), "--profiles-dir", str(profiles),
            "--target-path", str(work.root / "target"), "--log-path", str(work.root / "logs"),
            "--vars", json.dumps(work.variables), "--log-level", "none", "--log-level-file", "info"]
    started = time.perf_counter()
    with _environment({**DBT_ENV, **env, "FINOPS_DBT_SEED_PATH": str(work.seed_dir())}):
        try:
            result = dbtRunner().invoke(args)
        finally:
            _release_duckdb()
    log.debug("transforms: dbt %s in %.2fs", command[0], time.perf_counter() - started)
    if result.exception is not None and not result.result:
        raise FinopsError(f"transforms: dbt could not start: {result.exception}")
    return result


def run_transforms(pipeline: dlt.Pipeline, full_refresh: bool = False) -> list[str]:
    """dbt build (seeds and models). Returns the models built; a failure names the model and the database error."""
    work = DbtWork(pipeline)
    full = full_refresh or not work.up_to_date()
    command = ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    # The price sheet is in the fingerprint: unchanged since the last successful build, its seed table holds it.
    command += ["--full-refresh"] if full else ["--exclude-resource-type", "seed"]
    result = _invoke(pipeline, work, command)
    built = _report(pipeline, result, full)
    work.record_success()
    return built


def check_models(pipeline: dlt.Pipeline) -> dict[str, str]:
    """`dbt test`: the FOCUS row checks on the built models. Returns {test name: failure} (empty: all pass)."""
    result = _invoke(pipeline, DbtWork(pipeline), ["test"])
    return {r.node.name: " ".join(str(r.message or r.status).split()) for r in result.result.results
            if str(r.status) not in ("pass", "success", "skipped")}


def _release_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB connection for the life of the process; our own reads (and an analyst's
    read-only connection) need the file opened afresh, with their own settings."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    environment = DuckDBConnectionManager._ENV
    conn = getattr(environment, "conn", None)
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()
    DuckDBConnectionManager.close_all_connections()


def _report(pipeline: dlt.Pipeline, result: Any, full: bool) -> list[str]:
    node_results = list(getattr(result.result, "results", None) or [])
    built = []
    for node_result in node_results:
        node, status = node_result.node, str(node_result.status)
        if status in ("error", "fail", "runtime error"):
            message = " ".join(str(node_result.message or "").split())
            raise FinopsError(f"transform {node.name} failed: {message}")
        if node.resource_type != "model" or status != "success":
            continue
        built.append(node.name)
        mode = "built"
        if node.name == "cost_and_usage" and log.isEnabledFor(logging.DEBUG):
            mode = "full build" if full else _increment(pipeline)
        log.debug("transform %s: %s in %.2fs", node.name, mode, node_result.execution_time)
    if not result.success:
        raise FinopsError(f"transforms failed: {result.exception or 'dbt build did not succeed'}")
    return built


def _increment(pipeline: dlt.Pipeline) -> str:
    with pipeline.sql_client() as client:
        changes = client.make_qualified_table_name("int_cost_and_usage__changes")
        rows, loads = client.execute_sql(f"SELECT count(*), count(DISTINCT x_load_id) FROM {changes}")[0]
    return f"incremental: {rows} rows from {loads} new load(s)"

"""What each `finops-etl` command does, in terms of pipelines/ functions. Returns the exit code."""

from __future__ import annotations

import argparse
import logging
import os
import sys

import dlt

from pipelines.runner import RunOutcome, load, make_pipeline, parse_sources

log = logging.getLogger("finops_etl")


def _finish_load(pipeline: dlt.Pipeline, outcome: RunOutcome, transform: bool) -> None:
    """After the sources: rebuild the models (if asked), then record the run for `status`. Neither may stop
    the summary from printing: their failures are reported in it."""
    from pipelines.errors import FinopsError
    from pipelines.destinations import is_lake
    from pipelines.history import record_run
    from pipelines.warehouse import warehouse_failure

    if transform and is_lake(pipeline):
        log.info("transforms skipped: the filesystem destination (a lake) holds the raw tables only; "
                 "cost_and_usage and the rollups need a warehouse destination")
    elif transform:
        try:
            from pipelines.transform import run_transforms, transforms_needed

            if transforms_needed(pipeline, loaded_rows=sum(r.rows_loaded + r.rows_finished for r in outcome.reports)):
                run_transforms(pipeline)
            else:
                log.debug("transforms: no load brought rows and the last build is current; dbt not started")
        except Exception as exc:  # noqa: BLE001 - reported in the summary, the load itself stands
            outcome.transform_error = exc if isinstance(exc, FinopsError) else warehouse_failure(exc) or FinopsError(
                f"transforms failed: {type(exc).__name__}: {exc}")
    try:
        record_run(pipeline, outcome)
    except Exception as exc:  # noqa: BLE001 - the history is a convenience; the summary is the record
        log.debug("recording the run failed", exc_info=exc)
        outcome.errors.append(warehouse_failure(exc) or FinopsError(
            f"could not record the run in _run_history: {type(exc).__name__}: {exc}"))


def _load_and_report(args: argparse.Namespace, command: str, backfill=None, transform: bool = True) -> int:
    from pipelines.summary import print_summary

    progress = None
    if backfill is not None:
        progress = "tqdm" if sys.stderr.isatty() and _has_tqdm() else "log"
    outcome = load(command, parse_sources(args.sources), backfill,
                   after_load=lambda p, o: _finish_load(p, o, transform), progress=progress,
                   warm_up=_transform_head_start(backfill is not None) if transform else None)
    print_summary(outcome, args.log_format)
    return outcome.exit_code


def _transform_head_start(parse: bool):
    """A backfill will transform: prepare (main thread, ~50 ms) an import of dbt and a parse of the project. A cron
    run may well have nothing to transform, so it prepares nothing and is offered the import only."""
    def make(pipeline):
        from pipelines.transform import warm_up

        return warm_up(pipeline, parse)
    return make


def _has_tqdm() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def run(args: argparse.Namespace) -> int:
    code = _load_and_report(args, "run")
    return _write_report(args.report, code) if args.report else code


def _write_report(out: str, code: int) -> int:
    """The report at the end of a run: a failure to write it is reported, the run's own outcome stands."""
    from pipelines.errors import FinopsError, worst_exit_code
    from pipelines.report import build_report

    try:
        written = build_report(make_pipeline(), out)
    except Exception as exc:  # noqa: BLE001 - the load stands; the report's failure is reported and counted
        message = exc.message if isinstance(exc, FinopsError) else f"{type(exc).__name__}: {exc}"
        log.error("report: %s", message)
        return worst_exit_code([code, exc.exit_code if isinstance(exc, FinopsError) else 1])
    print(f"report: {written.path} ({written.bytes:,} bytes)")
    return code


def report(args: argparse.Namespace) -> int:
    from pipelines.report import build_report

    written = build_report(make_pipeline(), args.out, month=args.month)
    print(f"report for {written.month or 'no data'}: {written.path} ({written.bytes:,} bytes, "
          f"{written.seconds:.1f} s){' - STALE: ' + '; '.join(written.stale) if written.stale else ''}")
    return 0


def backfill(args: argparse.Namespace) -> int:
    return _load_and_report(args, f"backfill {args.start}..{args.end}", backfill=(args.start, args.end))


def transform(args: argparse.Namespace) -> int:
    from pipelines.destinations import require_sql_engine
    from pipelines.transform import run_transforms

    pipeline = make_pipeline()
    require_sql_engine(pipeline, "transform")
    built = run_transforms(pipeline, full_refresh=args.full_refresh)
    print(f"built {len(built)} models: {', '.join(built)}")
    return 0


def export(args: argparse.Namespace) -> int:
    from pipelines.export import export_parquet

    sidecar = export_parquet(make_pipeline(), args.out, since=args.since, focus_version=args.focus_version)
    parts = sidecar.get("partitions", [])
    print(f"exported FOCUS {args.focus_version}: {len(parts)} billing month(s), "
          f"{sum(p['rows'] for p in parts)} rows to {args.out}")
    return 0


def validate(args: argparse.Namespace) -> int:
    from pipelines.conformance import validate as run_checks

    return run_checks(make_pipeline(), args.focus_version, run_dbt_tests=not args.skip_dbt_tests)


def status(args: argparse.Namespace) -> int:
    from pipelines.history import print_status

    print_status(make_pipeline(), parse_sources(args.sources))
    return 0


def spending_limit(args: argparse.Namespace) -> int:
    from pipelines import spending_limit as limits

    return limits.command(args)


def sandbox(args: argparse.Namespace) -> int:
    from pipelines.sandbox import serve

    serve(args.port, seed=args.seed, latency_ms=args.latency_ms, rate_limit=args.rate_limit)
    return 0


def demo(args: argparse.Namespace) -> int:
    """Everything on the sandbox: no credentials, no network, a DuckDB file to open afterwards."""
    from pipelines.sandbox import CLOUDFLARE_TOKEN, VENICE_ADMIN_KEY, Sandbox
    from pipelines.summary import print_demo_summary

    with Sandbox(seed=7, accounts=3, metrics=12, days=120, venice_charges_per_day=200, venice_days=30) as sb:
        os.environ.update({
            "SOURCES__CLOUDFLARE__BASE_URL": sb.cloudflare_base_url,
            "SOURCES__CLOUDFLARE__API_TOKEN": CLOUDFLARE_TOKEN,
            "SOURCES__CLOUDFLARE__ACCOUNT_IDS": "[" + ",".join(f'"{a}"' for a in sb.account_ids) + "]",
            "SOURCES__CLOUDFLARE__START_DATE": sb.first_day.isoformat(),
            "SOURCES__VENICE__BASE_URL": sb.venice_base_url,
            "SOURCES__VENICE__API_KEY": VENICE_ADMIN_KEY,
            "SOURCES__VENICE__START_DATE": sb.first_day.isoformat(),
        })
        print(f"demo: sandbox API on {sb.url}; loading into ./finops_etl.duckdb", flush=True)
        code = _load_and_report(args, "demo")
    print_demo_summary(make_pipeline())
    return _write_report("report.html", code)

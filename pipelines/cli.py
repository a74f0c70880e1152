"""The `finops-etl` command: parse, call into pipelines/, map the outcome to an exit code. Nothing else."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import sys
from datetime import date

# httpx imports its own command-line tool (click, rich, pygments: ~60 ms, a few % of a cron run with nothing
# new) whenever they are installed; this process never runs it, and httpx falls back when it cannot import it
sys.modules.setdefault("httpx._main", None)  # type: ignore[assignment]

from pipelines.errors import FinopsError, UsageError  # noqa: E402
from pipelines.logs import configure_logging  # noqa: E402

EPILOG = ("exit codes: 0 done, 2 bad usage or configuration, 3 credentials rejected, 4 provider still "
          "failing after retries, 5 another run holds the lock, 6 partial (access refused for some "
          "account or source), 1 anything else")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep the one-line reason format
        raise UsageError(message)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-07-03, got {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--sources", help="comma-separated subset: cloudflare_billing,ai_gateway,venice,focus_files")
    common.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="json: one JSON object per line, for log shippers")
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging")

    parser = _Parser(prog="finops-etl", description="Provider billing APIs into a FOCUS cost warehouse.",
                     epilog=EPILOG, parents=[common])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", parents=[common], help="incremental load of every configured source, then transforms")
    run.add_argument("--report", metavar="PATH", help="write the HTML report to PATH at the end of the run")
    backfill = sub.add_parser("backfill", parents=[common], help="load a closed date range (inclusive)")
    backfill.add_argument("--start", type=_day, required=True)
    backfill.add_argument("--end", type=_day, required=True)
    transform = sub.add_parser("transform", parents=[common],
                               help="bring cost_and_usage up to date with new loads, rebuild the rollups")
    transform.add_argument("--full-refresh", action="store_true",
                           help="rebuild cost_and_usage whole instead of taking in only new loads")
    export = sub.add_parser("export", parents=[common], help="Parquet files with FOCUS column names")
    export.add_argument("--out", required=True)
    export.add_argument("--since", help="first billing month to export, YYYY-MM")
    export.add_argument("--focus-version", choices=("1.3", "1.2"), default="1.3")
    validate = sub.add_parser("validate", parents=[common],
                              help="FOCUS conformance report of the current table (exit 1 when a check fails)")
    validate.add_argument("--focus-version", choices=("1.3", "1.2"), default="1.3")
    validate.add_argument("--skip-dbt-tests", action="store_true", help="only the row-by-row SQL checks")
    sub.add_parser("status", parents=[common], help="last loaded day, last result and rows per source")
    report = sub.add_parser("report", parents=[common], help="one self-contained HTML report of the rollups")
    report.add_argument("--out", default="report.html", help="the HTML file to write (default: report.html)")
    report.add_argument("--month", help="the month to show, YYYY-MM (default: the latest month loaded)")
    sandbox = sub.add_parser("sandbox", parents=[common], help="serve the sandbox API on 127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8787)
    sandbox.add_argument("--seed", type=int, default=7)
    sandbox.add_argument("--latency-ms", type=float, default=0.0, help="latency per API request (+-20%% jitter)")
    sandbox.add_argument("--rate-limit", default="1200/300", help="Cloudflare's limit per token, N/SECONDS")
    sub.add_parser("demo", parents=[common], help="sandbox + full run into ./finops_etl.duckdb + summary")

    limit = sub.add_parser("spending-limit", parents=[common], help="AI Gateway spending limit")
    limit_sub = limit.add_subparsers(dest="action", required=True, parser_class=_Parser)
    limit_sub.add_parser("get", parents=[common])
    set_ = limit_sub.add_parser("set", parents=[common])
    set_.add_argument("--amount", required=True, help="cents, an integer >= 100")
    set_.add_argument("--duration", required=True, help="daily|weekly|monthly")
    set_.add_argument("--strategy", required=True, help="fixed|sliding")
    set_.add_argument("--account", help="one account id (default: every configured account)")
    set_.add_argument("--dry-run", action="store_true", help="print the request, send nothing")
    clear = limit_sub.add_parser("clear", parents=[common])
    clear.add_argument("--account")
    clear.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


def dispatch(args: argparse.Namespace) -> int:
    from pipelines import commands

    if args.command == "backfill" and args.end < args.start:
        raise UsageError(f"--end {args.end} is before --start {args.start}")
    handlers = {
        "run": commands.run, "backfill": commands.backfill, "transform": commands.transform,
        "export": commands.export, "validate": commands.validate, "status": commands.status,
        "report": commands.report, "sandbox": commands.sandbox, "demo": commands.demo, "spending-limit": commands.spending_limit,
    }
    return handlers[args.command](args)


def main(argv: list[str] | None = None) -> int:
    log_format, verbose = "text", False
    try:
        args = build_parser().parse_args(argv)
        log_format, verbose = args.log_format, args.verbose
        configure_logging(log_format, verbose)
        code = dispatch(args)
    except FinopsError as exc:
        code = _report(exc, log_format, verbose)
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # noqa: BLE001 - cron gets a one-line reason and exit 1, not a traceback
        code = _report(explain_failure(exc), log_format, verbose, cause=exc)
    sys.exit(code)


def _report(error: FinopsError, log_format: str, verbose: bool, cause: BaseException | None = None) -> int:
    """One line for cron; with -v the traceback too (logging is set up again: the error may predate it)."""
    configure_logging(log_format, verbose)
    logger = logging.getLogger("finops_etl")
    logger.error(error.message, extra={"exit_code": error.exit_code})
    logger.debug("traceback", exc_info=cause or error)
    return error.exit_code


def explain_failure(exc: Exception) -> FinopsError:
    """An exception nothing classified: the warehouse's own failures get a named cause, the rest a type name."""
    from pipelines.warehouse import warehouse_failure

    return warehouse_failure(exc) or FinopsError(
        f"unexpected {type(exc).__name__}: {exc} (run with -v for the traceback)")


def entry() -> None:
    """The `finops-etl` command: `main`, then leave without tearing the interpreter down. Once the summary is out,
    freeing every module (dlt, pyarrow, duckdb; dbt when a transform ran) is all that is left: 0.3-0.5 s of a
    2 s cron run, ~1 s after dbt. What exit must still do is done: atexit handlers (logging flushes and closes its
    handlers), stdout and stderr flushed. Warehouse connections are closed by then (each step closes its own)."""
    try:
        main()
        code: object = 0
    except SystemExit as done:
        code = done.code
    atexit._run_exitfuncs()  # noqa: SLF001 - what interpreter shutdown would run first
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe (`finops-etl status | head`) must not change the code
            stream.flush()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


if __name__ == "__main__":
    entry()

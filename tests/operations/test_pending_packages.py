"""A run after a crash finishes what the crashed run left pending, then does the work it was asked for."""

from __future__ import annotations

import json
from datetime import date

import pytest

from conftest import point_at, query
from pipelines.runner import build_source, make_pipeline
from sources.run_report import SourceReport

CRASHED = (date(2026, 10, 1), date(2026, 10, 5))


def leave_pending(stage: str) -> None:
    """What a run killed in normalize (an extracted package) or in load (a normalized one) leaves behind."""
    pipeline = make_pipeline()
    pipeline.extract(build_source("cloudflare_billing", SourceReport("cloudflare_billing"), CRASHED))
    if stage == "load":
        pipeline.normalize()
    assert pipeline.has_pending_data


def served(sb, start: date, end: date) -> int:
    return sum(len(sb.expected_cloudflare_records(a, start, end)) for a in sb.account_ids)


# fails before: "load" exited 1 (AttributeError on last_normalize_info), "normalize" exited 0 having loaded
# only the old package (requests 0, windows 0) and never the range asked for
@pytest.mark.parametrize("stage", ["normalize", "load"])
def test_a_rerun_after_a_crash_loads_the_pending_package_and_the_range_asked_for(sandbox, cli, workdir, monkeypatch,
                                                                                 stage):
    point_at(monkeypatch, sandbox, venice=False)
    leave_pending(stage)
    result = cli("backfill", "--start", "2026-10-10", "--end", "2026-10-12", "--sources", "cloudflare_billing",
                 "--log-format", "json")
    assert result.code == 0, result.output
    (source,) = json.loads(result.stdout.strip().splitlines()[-1])["sources"]
    assert source["windows"] == 3 and source["requests"] == 3
    assert source["rows_loaded"] == served(sandbox, date(2026, 10, 10), date(2026, 10, 12))
    assert source["rows_from_interrupted_run"] == served(sandbox, *CRASHED)
    days = query(workdir, "SELECT DISTINCT CAST(charge_period_start AS DATE) FROM finops.cloudflare_billable_usage")
    assert len(days) == 8  # 1..5 from the crashed run, 10..12 asked for now
    (rows, keys) = query(workdir, "SELECT count(*), count(DISTINCT record_key) FROM finops.cloudflare_billable_usage")[0]
    assert rows == keys == served(sandbox, *CRASHED) + served(sandbox, date(2026, 10, 10), date(2026, 10, 12))
    # the models were built too: one FOCUS row per charge (only Cloudflare is loaded; the copies of a
    # contract-level record, one per account asked, share a charge_key and count once)
    (charges,) = query(workdir, "SELECT count(DISTINCT charge_key) FROM finops.cloudflare_billable_usage")[0]
    assert query(workdir, "SELECT count(*) FROM finops.cost_and_usage")[0][0] == charges < rows


def test_the_rerun_prints_no_dlt_log_lines_or_progress_blocks(sandbox, cli_process, workdir, monkeypatch):
    # fails before: dlt's "2026-...|[WARNING]|pid|thread|dlt|pipeline.py|run:801|The pipeline `run` method will
    # now load the pending load packages..." and dlt's multi-line "----- Load ... -----" counter blocks
    point_at(monkeypatch, sandbox, venice=False)
    leave_pending("load")
    result = cli_process("backfill", "--start", "2026-10-10", "--end", "2026-10-12", "--sources", "cloudflare_billing")
    assert result.code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("finops-etl: ") for line in lines), result.stderr
    assert "|[WARNING]|" not in result.stderr and "-----" not in result.stderr


KILL_AFTER_COMMIT = """
import os, sys
from dlt.common.storages.load_package import PackageStorage
save = PackageStorage.save_pending_transition
def killed(self, load_id, file_name, *args, **kwargs):
    if file_name.startswith("cloudflare_billable_usage."):
        os._exit(9)  # the warehouse committed the job's rows; dlt never learns it did
    return save(self, load_id, file_name, *args, **kwargs)
PackageStorage.save_pending_transition = killed
from pipelines.cli import main
main(sys.argv[1:])
"""


def test_a_load_killed_after_the_warehouse_committed_an_append_keeps_every_row_once(sandbox, cli, workdir,
                                                                                     monkeypatch):
    """A first load appends (nothing planned is loaded yet). Killed between the warehouse's commit of a job and
    dlt's record of it, the job is still "started" and dlt runs it again on the next run; that run, having
    finished an interrupted run's packages, merges the range it was asked for (sources/loading.py), so whatever
    the retried append wrote twice is replaced by key."""
    import os
    import subprocess
    import sys

    point_at(monkeypatch, sandbox, venice=False)
    args = ["backfill", "--start", "2026-10-01", "--end", "2026-10-05", "--sources", "cloudflare_billing"]
    killed = subprocess.run([sys.executable, "-c", KILL_AFTER_COMMIT, *args], cwd=workdir, env=os.environ.copy(),
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == 9, killed.stderr
    (committed,) = query(workdir, "SELECT count(*) FROM finops.cloudflare_billable_usage")[0]
    assert committed == served(sandbox, *CRASHED)  # the rows are in, the package still pending
    result = cli(*args)
    assert result.code == 0, result.output
    (rows, keys) = query(workdir, "SELECT count(*), count(DISTINCT record_key) FROM finops.cloudflare_billable_usage")[0]
    assert rows == keys == served(sandbox, *CRASHED)

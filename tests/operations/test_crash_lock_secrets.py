"""Killed runs, concurrent runs and secrets on disk: the cron job's worst nights."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from conftest import CLOUDFLARE_TOKEN, VENICE_ADMIN_KEY, point_at, query

RANGE = ["--start", "2026-04-01", "--end", "2026-09-30"]  # 183 days: 6 windows per account


def start_cli(workdir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", *args], cwd=workdir, env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_requests(sb, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while sum(r["path"].endswith("/billable/usage") for r in sb.requests) < n:
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.05)


def table_rows(workdir: Path) -> list[tuple]:
    return query(workdir, "SELECT record_key, billed_cost, consumed_quantity FROM finops.cloudflare_billable_usage "
                          "ORDER BY record_key")


def test_kill_9_mid_backfill_then_rerun_equals_a_clean_run(sandbox, cli, workdir, monkeypatch):
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__CONCURRENCY="1")
    sandbox.slow_seconds = 0.3
    victim = start_cli(workdir, "backfill", *RANGE, "--sources", "cloudflare_billing")
    wait_for_requests(sandbox, 7)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    sandbox.slow_seconds = 0

    result = cli("backfill", *RANGE, "--sources", "cloudflare_billing")
    assert result.code == 0, result.output
    after_crash = table_rows(workdir)
    expected = sum(len(sandbox.expected_cloudflare_records(a, date(2026, 4, 1), date(2026, 9, 30)))
                   for a in sandbox.account_ids)
    assert len(after_crash) == expected
    assert len({key for key, *_ in after_crash}) == expected


def test_a_second_run_exits_5_naming_the_holder_and_a_killed_holder_does_not_block(sandbox, cli, workdir,
                                                                                    monkeypatch):
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__CONCURRENCY="1")
    sandbox.slow_seconds = 0.5
    holder = start_cli(workdir, "backfill", *RANGE, "--sources", "cloudflare_billing")
    try:
        wait_for_requests(sandbox, 1)
        second = cli("run", "--sources", "cloudflare_billing")
        assert second.code == 5
        assert f"pid {holder.pid}" in second.stderr and "started" in second.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    sandbox.slow_seconds = 0
    third = cli("backfill", "--start", "2026-09-01", "--end", "2026-09-02", "--sources", "cloudflare_billing")
    assert third.code == 0, third.output


def test_no_token_reaches_any_file_or_output(sandbox, workdir, monkeypatch):
    point_at(monkeypatch, sandbox)
    sandbox.add_fault(r"/billable/usage$", "status", times=1, status=500)
    runs = [subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=workdir, env=os.environ.copy(),
                           capture_output=True, text=True, timeout=300)
            for args in (["backfill", "--start", "2026-10-01", "--end", "2026-10-03", "-v"], ["run", "-v"],
                         ["status"], ["export", "--out", str(workdir / "export")])]
    monkeypatch.setenv("SOURCES__CLOUDFLARE__API_TOKEN", "wrong-" + CLOUDFLARE_TOKEN)
    runs.append(subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "-v"], cwd=workdir,
                               env=os.environ.copy(), capture_output=True, text=True, timeout=300))
    assert runs[0].returncode == 0, runs[0].stderr
    secrets = [CLOUDFLARE_TOKEN.encode(), VENICE_ADMIN_KEY.encode()]
    for run in runs:
        for secret in secrets:
            assert secret.decode() not in run.stdout + run.stderr
    written = [p for p in workdir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in written) and len(written) > 10
    for path in written:
        data = path.read_bytes()
        for secret in secrets:
            assert secret not in data, f"token found in {path}"
    # DuckDB compresses strings, so a byte grep of the file is not enough: ask every text column too
    columns = query(workdir, "SELECT table_name, column_name FROM information_schema.columns "
                             "WHERE table_schema = 'finops' AND data_type = 'VARCHAR'")
    assert columns
    for table, column in columns:
        for secret in secrets:
            hits = query(workdir, f'SELECT count(*) FROM finops."{table}" WHERE "{column}" LIKE '
                                  f"'%{secret.decode()}%'")[0][0]
            assert hits == 0, f"token found in finops.{table}.{column}"

"""The warehouse file itself fails: locked, missing directory, read-only, corrupt, disk full. Each run names the
file, the key and the cause, prints its summary and exits 1; once the cause is gone the next run heals in one go."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from conftest import point_at

KEY = "DESTINATION__DUCKDB__CREDENTIALS"
START, END = date(2026, 9, 1), date(2026, 10, 15)
BACKFILL = ["backfill", "--start", START.isoformat(), "--end", END.isoformat(), "--sources", "cloudflare_billing",
            "--log-format", "json"]


def summary(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def served(sb, start: date = START, end: date = END) -> int:
    return sum(len(sb.expected_cloudflare_records(a, start, end)) for a in sb.account_ids)


def rows_and_keys(path: Path) -> tuple[int, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT count(*), count(DISTINCT record_key) FROM finops.cloudflare_billable_usage"
                           ).fetchone()


def assert_named_failure(result, path: Path, cause: str) -> None:
    assert result.code == 1, result.output
    errors = " ".join(summary(result)["errors"] + [e for s in summary(result)["sources"] for e in s["errors"]])
    assert str(path) in errors and KEY in errors and cause in errors, errors
    assert "internet connection" not in result.output and "Traceback" not in result.output


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of its own (root only); `resize` and `read_only` change it under the warehouse."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")

    def remount(options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(mount)], check=True)

    yield mount, remount
    subprocess.run(["umount", "-l", str(mount)], check=False)


# fails before (for all below): exit 1 with dlt's "check if you configured the credentials ... internet
# connection may be down" or a raw traceback, no summary
def test_a_warehouse_held_by_another_process_names_the_pid_and_the_next_run_heals(sandbox, cli, workdir,
                                                                                    monkeypatch):
    point_at(monkeypatch, sandbox, venice=False)
    path = workdir / "finops_etl.duckdb"
    assert cli(*BACKFILL[:-2], "--sources", "cloudflare_billing").code == 0  # a warehouse exists
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
                               "print('holding', flush=True); time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        result = cli(*BACKFILL)
        assert_named_failure(result, path, f"held by pid {holder.pid}")
        assert summary(result)["sources"] == [] or summary(result)["sources"][0]["requests"] == 0
    finally:
        holder.kill()
        holder.wait()
    healed = cli(*BACKFILL)
    assert healed.code == 0, healed.output
    assert rows_and_keys(path) == (served(sandbox), served(sandbox))


def test_a_lock_taken_during_the_load_leaves_a_package_the_next_run_loads(sandbox, workdir, monkeypatch, cli):
    point_at(monkeypatch, sandbox, venice=False, SOURCES__CLOUDFLARE__CONCURRENCY="1")
    path = workdir / "finops_etl.duckdb"
    sandbox.slow_seconds = 0.2
    victim = subprocess.Popen([sys.executable, "-m", "pipelines.cli", *BACKFILL], cwd=workdir, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not [r for r in sandbox.requests if r["api"] == "cloudflare_billing"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
                               "print('holding', flush=True); time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        out, err = victim.communicate(timeout=120)
    finally:
        holder.kill()
        holder.wait()
    sandbox.slow_seconds = 0
    assert victim.returncode == 1, out + err
    assert f"held by pid {holder.pid}" in out and str(path) in out
    healed = cli(*BACKFILL)
    assert healed.code == 0, healed.output
    assert summary(healed)["sources"][0]["rows_from_interrupted_run"] == served(sandbox)
    assert rows_and_keys(path) == (served(sandbox), served(sandbox))


def test_a_missing_directory_is_named_and_creating_it_heals(sandbox, cli, workdir, monkeypatch):
    path = workdir / "not-yet" / "finops_etl.duckdb"
    point_at(monkeypatch, sandbox, venice=False, **{KEY: str(path)})
    assert_named_failure(cli(*BACKFILL), path, "its directory does not exist")
    assert not [r for r in sandbox.requests if r["api"] != "control"], "fetched data it could not store"
    path.parent.mkdir()
    assert cli(*BACKFILL).code == 0
    assert rows_and_keys(path) == (served(sandbox), served(sandbox))


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_a_corrupt_warehouse_is_named_and_moving_it_aside_heals(sandbox, cli, workdir, monkeypatch, damage):
    point_at(monkeypatch, sandbox, venice=False)
    path = workdir / "finops_etl.duckdb"
    assert cli(*BACKFILL).code == 0
    with open(path, "r+b") as handle:
        if damage == "truncate":
            handle.truncate(5000)
        else:
            handle.write(b"\0garbage" * 512)
    assert_named_failure(cli(*BACKFILL), path, "corrupt or truncated")
    path.rename(path.with_suffix(".broken"))
    assert cli(*BACKFILL).code == 0
    assert rows_and_keys(path) == (served(sandbox), served(sandbox))


def test_a_read_only_warehouse_is_named_and_the_next_run_heals(sandbox, cli, workdir, monkeypatch, small_disk):
    mount, remount = small_disk
    remount("size=64m")
    path = mount / "finops_etl.duckdb"
    point_at(monkeypatch, sandbox, venice=False, **{KEY: str(path)})
    first = ["backfill", "--start", "2026-08-01", "--end", "2026-08-03", "--sources", "cloudflare_billing"]
    assert cli(*first).code == 0
    remount("ro")
    assert_named_failure(cli(*BACKFILL), path, "not writable")
    remount("rw")
    assert cli(*BACKFILL).code == 0
    expected = served(sandbox) + served(sandbox, date(2026, 8, 1), date(2026, 8, 3))
    assert rows_and_keys(path) == (expected, expected)


def test_a_full_disk_is_named_and_the_next_run_after_freeing_it_heals(sandbox, cli, workdir, monkeypatch,
                                                                      small_disk):
    mount, remount = small_disk
    path = mount / "finops_etl.duckdb"
    point_at(monkeypatch, sandbox, venice=False, **{KEY: str(path)})
    big = ["backfill", "--start", "2026-05-05", "--end", "2026-11-19", "--sources", "cloudflare_billing",
           "--log-format", "json"]
    result = cli(*big)
    assert_named_failure(result, path, "disk full")
    remount("size=256m")
    healed = cli(*big)
    assert healed.code == 0, healed.output
    expected = served(sandbox, date(2026, 5, 5), date(2026, 11, 19))
    assert rows_and_keys(path) == (expected, expected)

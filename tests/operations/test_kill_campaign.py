"""The kill campaign: `kill -9` at seeded random points of extract, normalize, load and transform; the first
re-run after each kill exits 0 and leaves every row exactly once, as a clean load does."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from conftest import CLOUDFLARE_TOKEN, TODAY, VENICE_ADMIN_KEY, point_at
from pipelines.sandbox import Sandbox

# Two sources (Cloudflare's FOCUS records, Venice's charges) keep ten kills and re-runs within about a minute;
# AI Gateway loads through the same dlt steps.
BACKFILL = ["backfill", "--start", "2026-10-20", "--end", "2026-11-19", "--sources", "cloudflare_billing,venice"]
PHASES = ["extract", "normalize", "load", "transform"]
KILLS = 10
SNAPSHOTS = {  # every row a user sees, by its key: a lost or doubled row changes the list
    "cloudflare_billable_usage": "record_key, billed_cost",
    "venice_billing_usage": "record_key, amount",
    "cost_and_usage": "x_source, x_source_key, billed_cost",
}


@pytest.fixture
def small_sandbox():
    with Sandbox(seed=11, accounts=2, metrics=6, days=60, venice_charges_per_day=150, venice_days=30,
                 today=TODAY) as sb:
        yield sb


def snapshot(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {table: con.execute(f"SELECT {columns} FROM finops.{table} ORDER BY ALL").fetchall()
                for table, columns in SNAPSHOTS.items()}


def use_dir(monkeypatch, directory: Path) -> Path:
    directory.mkdir()
    monkeypatch.chdir(directory)
    monkeypatch.setenv("DLT_DATA_DIR", str(directory / "dlt"))
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(directory / "finops_etl.duckdb"))
    return directory


def started(directory: Path, phase: str, transform_lines: list[str], requests: int, sb: Sandbox) -> bool:
    """Has the victim reached `phase`? Seen from outside, as an operator could: requests served, dlt's package
    folders (extracted -> normalize runs, normalized -> load runs), and the -v lines of the transform."""
    pipeline_dir = directory / "dlt" / "pipelines" / "finops_etl"
    if phase == "extract":
        return len([r for r in sb.requests if r["api"] != "control"]) >= requests
    if phase == "normalize":
        return any((pipeline_dir / "normalize" / "extracted").glob("*"))
    if phase == "load":
        return any((pipeline_dir / "load" / "normalized").glob("*/*_jobs/*"))
    return len(transform_lines) >= requests


def kill_at(directory: Path, phase: str, rng: random.Random, sb: Sandbox) -> str:
    """Start a backfill and kill -9 it once `phase` is reached (plus a seeded delay); what the victim said."""
    victim = subprocess.Popen([sys.executable, "-m", "pipelines.cli", *BACKFILL, "-v"], cwd=directory,
                              env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    transform_lines: list[str] = []
    said: list[str] = []

    def read() -> None:
        for line in victim.stderr:
            said.append(line)
            if "DEBUG: transform " in line:
                transform_lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    target = rng.randint(1, 12) if phase in ("extract", "transform") else 0
    sb.clear_requests()
    deadline = time.monotonic() + 60
    while victim.poll() is None and not started(directory, phase, transform_lines, target, sb):
        assert time.monotonic() < deadline, f"the victim never reached {phase}"
        time.sleep(0.002)
    time.sleep(rng.uniform(0, 0.05 if phase == "transform" else 0.15))
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    reader.join(timeout=5)
    return "".join(said)


@pytest.mark.slow
def test_every_first_rerun_after_a_kill_exits_0_with_every_row_exactly_once(small_sandbox, cli, workdir, monkeypatch,
                                                                              tmp_path):
    sb = small_sandbox
    point_at(monkeypatch, sb, end_date=date(2026, 11, 19), SOURCES__CLOUDFLARE__CONCURRENCY="2")
    monkeypatch.setenv("SOURCES__CLOUDFLARE__API_TOKEN", CLOUDFLARE_TOKEN)
    monkeypatch.setenv("SOURCES__VENICE__API_KEY", VENICE_ADMIN_KEY)
    reference_dir = use_dir(monkeypatch, tmp_path / "reference")
    clean = cli(*BACKFILL)
    assert clean.code == 0, clean.output
    reference = snapshot(reference_dir / "finops_etl.duckdb")
    assert all(reference.values()), {t: len(rows) for t, rows in reference.items()}

    rng = random.Random(20261201)
    outcomes = []
    for trial in range(KILLS):
        phase = PHASES[trial % len(PHASES)]
        # the first kills hit an empty warehouse (the rows are appended); the later ones one warehouse that
        # already holds the range, left complete by the previous re-run (the rows are merged)
        if trial <= len(PHASES):
            directory = use_dir(monkeypatch, tmp_path / f"kill-{trial}-{phase}")
        said = kill_at(directory, phase, rng, sb)
        left = pending_left(directory)
        rerun = cli(*BACKFILL)
        outcomes.append((trial, phase, left, rerun.code))
        assert rerun.code == 0, f"trial {trial} ({phase}): {rerun.output}\nthe killed run said:\n{said[-3000:]}"
        got = snapshot(directory / "finops_etl.duckdb")
        for table, rows in reference.items():
            assert got[table] == rows, f"trial {trial} ({phase}): {table} differs from the clean load"
    assert [code for *_, code in outcomes] == [0] * KILLS
    # the kills did land mid-pipeline: some left an extracted package (normalize to redo), some a normalized one
    # (load to finish)
    left = {kind for _, _, kinds, _ in outcomes for kind in kinds}
    assert {"extracted", "normalized"} <= left, outcomes


def pending_left(directory: Path) -> set[str]:
    pipeline_dir = directory / "dlt" / "pipelines" / "finops_etl"
    return {kind for kind, folder in (("extracted", "normalize/extracted"), ("normalized", "load/normalized"))
            if any((pipeline_dir / folder).glob("*"))}

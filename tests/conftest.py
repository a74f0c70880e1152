"""Fixtures: a sandbox API on a free port, a temp DuckDB + pipelines dir, and the real CLI."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pytest

from pipelines.sandbox import CLOUDFLARE_TOKEN, VENICE_ADMIN_KEY, Sandbox

TODAY = date(2026, 11, 20)  # the sandbox clock in tests: fixed, so every figure is reproducible


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def sandbox():
    with Sandbox(seed=7, accounts=3, metrics=10, days=200, venice_charges_per_day=600, venice_days=60,
                 today=TODAY) as sb:
        yield sb


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """An isolated pipelines dir and DuckDB file; no config leaks in from the developer's environment."""
    for key in list(os.environ):
        if key.startswith(("SOURCES__", "DESTINATION__", "FINOPS__")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(tmp_path / "finops_etl.duckdb"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    return tmp_path


def point_at(monkeypatch, sb: Sandbox, *, cloudflare: bool = True, venice: bool = True,
             end_date: date = TODAY, **extra: str) -> None:
    """Configure finops-etl for the sandbox the way a user would: environment variables only."""
    if cloudflare:
        monkeypatch.setenv("SOURCES__CLOUDFLARE__BASE_URL", sb.cloudflare_base_url)
        monkeypatch.setenv("SOURCES__CLOUDFLARE__API_TOKEN", CLOUDFLARE_TOKEN)
        monkeypatch.setenv("SOURCES__CLOUDFLARE__ACCOUNT_IDS", json.dumps(sb.account_ids))
        monkeypatch.setenv("SOURCES__CLOUDFLARE__END_DATE", end_date.isoformat())
        monkeypatch.setenv("SOURCES__CLOUDFLARE__MAX_RETRY_SECONDS", "20")
    if venice:
        monkeypatch.setenv("SOURCES__VENICE__BASE_URL", sb.venice_base_url)
        monkeypatch.setenv("SOURCES__VENICE__API_KEY", VENICE_ADMIN_KEY)
        monkeypatch.setenv("SOURCES__VENICE__END_DATE", end_date.isoformat())
        monkeypatch.setenv("SOURCES__VENICE__MAX_RETRY_SECONDS", "20")
    for key, value in extra.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def cli(workdir):
    """Run `finops-etl ARGS` in this process (fast) and return exit code and output."""
    from pipelines.cli import main

    def run(*args: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def cli_process(workdir):
    """Run `finops-etl ARGS` as a real child process (for kill -9, locks, secrets on disk)."""

    def run(*args: str, timeout: float = 120, **popen) -> CliResult:
        done = subprocess.run([sys.executable, "-m", "pipelines.cli", *args], capture_output=True, text=True,
                              timeout=timeout, cwd=workdir, env=os.environ.copy(), **popen)
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run


def query(workdir: Path, sql: str) -> list[tuple]:
    """Read the warehouse the way an analyst would: DuckDB on the file, schema `finops`."""
    with duckdb.connect(str(workdir / "finops_etl.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def table_exists(workdir: Path, name: str) -> bool:
    return bool(query(workdir, f"SELECT 1 FROM information_schema.tables WHERE table_schema='finops' "
                               f"AND table_name='{name}'"))


def _start_postgres(base: Path) -> tuple[str, Callable[[], None]]:
    """A throwaway PostgreSQL server on a free port (trust auth on 127.0.0.1). initdb refuses root: as root,
    the server runs as `nobody`."""
    import shutil
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = base / "pgdata"
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "nobody")
        as_user = ["runuser", "-u", "nobody", "--"]
    subprocess.run([*as_user, "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--locale=C"], check=True, capture_output=True)
    subprocess.run([*as_user, "pg_ctl", "-D", str(data), "-l", str(base / "log"), "-w", "-o",
                    f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True)

    def stop() -> None:
        subprocess.run([*as_user, "pg_ctl", "-D", str(data), "-m", "immediate", "stop"], capture_output=True)

    return f"postgresql://postgres@127.0.0.1:{port}/postgres", stop


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server DSN: FINOPS_TEST_POSTGRES_DSN (what .ci/run starts), else our own server when the
    binaries are here, else skip; with FINOPS_REQUIRE_POSTGRES=1 (CI) a missing server fails instead."""
    import shutil

    dsn = os.environ.get("FINOPS_TEST_POSTGRES_DSN")
    if dsn:
        yield dsn
        return
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        why = "no PostgreSQL: set FINOPS_TEST_POSTGRES_DSN or put initdb/pg_ctl on PATH"
        if os.environ.get("FINOPS_REQUIRE_POSTGRES") == "1":
            pytest.fail(why)
        pytest.skip(why)
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="finops-pg-"))  # not under pytest's root-only tmp dir: `nobody` reads it
    dsn, stop = _start_postgres(base)
    try:
        yield dsn
    finally:
        stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_dsn(postgres_server) -> str:
    """A fresh, empty database on the test server, for one test."""
    import uuid

    import psycopg2

    name = f"finops_test_{uuid.uuid4().hex[:10]}"
    con = psycopg2.connect(postgres_server)
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    con.close()
    return postgres_server.rsplit("/", 1)[0] + "/" + name

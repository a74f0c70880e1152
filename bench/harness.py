"""Shared bench plumbing: a sandbox in its own process, the real CLI as a child, wall time and peak RSS."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "pipelines.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def sandbox_process(**options: object) -> Iterator[str]:
    """The sandbox in a separate process, as a real provider would be: it must not share our GIL."""
    port = free_port()
    args = [sys.executable, "-m", "pipelines.sandbox", "--port", str(port)]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("sandbox did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="finops-bench-"))
    return path


def env_for(url: str, work: Path, account_ids: list[str] | None = None, **extra: str) -> dict[str, str]:
    from pipelines.sandbox import CLOUDFLARE_TOKEN, VENICE_ADMIN_KEY

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    env.update({
        "DLT_DATA_DIR": str(work / "dlt"),
        "DESTINATION__DUCKDB__CREDENTIALS": str(work / "finops_etl.duckdb"),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "SOURCES__CLOUDFLARE__BASE_URL": f"{url}/client/v4",
        "SOURCES__CLOUDFLARE__API_TOKEN": CLOUDFLARE_TOKEN,
        "SOURCES__VENICE__BASE_URL": f"{url}/api/v1",
        "SOURCES__VENICE__API_KEY": VENICE_ADMIN_KEY,
    })
    if account_ids is not None:
        env["SOURCES__CLOUDFLARE__ACCOUNT_IDS"] = json.dumps(account_ids)
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds and the child's peak RSS in MB (ru_maxrss of the largest child so far: run one per process)."""
    started = time.perf_counter()
    done = subprocess.run(CLI + args, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"finops-etl {' '.join(args)} exited {done.returncode}")
    return wall, peak_mb, done


def duckdb_count(work: Path, table: str) -> int:
    import duckdb

    with duckdb.connect(str(work / "finops_etl.duckdb"), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM finops.{table}").fetchone()[0]


def report(name: str, figures: dict[str, object]) -> None:
    print(json.dumps({"bench": name, **figures}))


def read_json_baseline(ndjson: Path, work: Path) -> tuple[float, int]:
    """The floor: DuckDB's own read_json of the same records saved to disk as NDJSON."""
    import duckdb

    started = time.perf_counter()
    with duckdb.connect(str(work / "baseline.duckdb")) as con:
        con.execute(f"CREATE OR REPLACE TABLE baseline AS SELECT * FROM read_json('{ndjson}', "
                    "format='newline_delimited')")
        rows = con.execute("SELECT count(*) FROM baseline").fetchone()[0]
    return time.perf_counter() - started, rows

"""Cron transform, old vs new code, back to back on one generated warehouse (issue 13 item 5).
    cron_transform.py gen ROWS | cron_transform.py build NAME CODE_DIR | cron_transform.py cron NAME CODE_DIR
build: copy the generated warehouse, full `transform` with CODE_DIR on PYTHONPATH; cron: copy the built one,
reload the last 3 days (bench/transforms_export.py RELOAD_LAST_DAYS), `transform -v` timed."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import duckdb  # noqa: E402

from bench.transforms_export import GENERATE, RELOAD_LAST_DAYS  # noqa: E402
base = Path(os.environ.get("CRON_BENCH_DIR", "/tmp/cron13"))
cmd = sys.argv[1]
def env_for(work, code):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    env.update({"DLT_DATA_DIR": str(work / "dlt"), "DESTINATION__DUCKDB__CREDENTIALS": str(work / "finops_etl.duckdb"),
                "RUNTIME__DLTHUB_TELEMETRY": "false", "PYTHONPATH": code})
    return env
def transform(work, code):
    cli = [sys.executable, "-m", "pipelines.cli", "transform", "-v"]
    t = time.perf_counter()
    d = subprocess.run(cli, env=env_for(work, code), cwd=work, capture_output=True, text=True)
    s = time.perf_counter() - t
    assert d.returncode == 0, d.stderr[-3000:]
    return s, d.stderr
if cmd == "gen":
    with duckdb.connect(str(base / "gen.duckdb")) as con:
        con.execute(GENERATE.replace("{rows}", sys.argv[2]))
elif cmd == "build":
    name, code = sys.argv[2], sys.argv[3]
    work = base / f"{name}-built"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copy(base / "gen.duckdb", work / "finops_etl.duckdb")
    s, err = transform(work, code)
    print(f"== {name}: full {s:.2f}s load {os.getloadavg()[0]:.2f}", flush=True)
elif cmd == "cron":
    name, code = sys.argv[2], sys.argv[3]
    work = base / f"{name}-run"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base / f"{name}-built", work)
    with duckdb.connect(str(work / "finops_etl.duckdb")) as con:
        n = con.execute(RELOAD_LAST_DAYS).fetchone()[0]
    la = os.getloadavg()[0]
    s, err = transform(work, code)
    print(f"== {name}: cron {s:.2f}s ({n} rows reloaded) load {la:.2f}", flush=True)
    print("\n".join(line for line in err.splitlines() if "transform" in line and " in " in line), flush=True)
    shutil.rmtree(work)

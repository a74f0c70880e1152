"""A backfill that must wait on the rate limit: 600 requests under 100 per 30 s, at 150 ms latency.

    python bench/rate_limited.py [--accounts 20 --windows 30 --rate 100/30 --latency-ms 150]

Checks: no 429; wall within 1.1x of the rate-limit floor; the progress bar's ETA (FINOPS__PROGRESS_BAR=true,
read from the child's stderr as it draws) right within 20%. Floor: (ceil(requests / q) - 1) x w + one latency,
the fixed window's own bound (the issue's requests / (q / w) is printed too, it is looser). ETA error of a
prediction made at t: |t + eta - end| / (end - t), `end` the moment the bar reached its total; reported for
predictions made while at least 5 s were left.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench.harness import CLI, env_for, report, sandbox_process, workdir  # noqa: E402
from pipelines.sandbox import Sandbox  # noqa: E402

_UPDATE = re.compile(r"(\d+)/(\d+) \[[^\]]*eta ([\d.]+)s\]")


def read_bar(stream, updates: list[tuple[float, int, int, float]]) -> None:
    """Timestamp each redraw of the bar as it arrives (unbuffered reads of the pipe)."""
    buffer = b""
    while True:
        chunk = os.read(stream.fileno(), 4096)
        if not chunk:
            return
        buffer += chunk
        *lines, buffer = buffer.replace(b"\n", b"\r").split(b"\r")
        if buffer.endswith(b"]"):  # a redraw is complete when its closing bracket is there
            lines, buffer = [*lines, buffer], b""
        now = time.monotonic()
        for line in lines:
            match = _UPDATE.search(line.decode("utf-8", "replace"))
            if match:
                updates.append((now, int(match[1]), int(match[2]), float(match[3])))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--windows", type=int, default=30)
    parser.add_argument("--rate", default="100/30")
    parser.add_argument("--latency-ms", type=float, default=150)
    args = parser.parse_args()
    q, w = (int(x) for x in args.rate.split("/"))
    days = 31 * args.windows
    accounts = Sandbox(seed=7, accounts=args.accounts, metrics=2, days=days).account_ids
    end = date.today()
    work = workdir()
    with sandbox_process(seed=7, accounts=args.accounts, metrics=2, days=days, latency_ms=args.latency_ms,
                         rate_limit=args.rate) as url:
        env = {**env_for(url, work, accounts), "FINOPS__PROGRESS_BAR": "true"}
        cmd = CLI + ["backfill", "--start", (end - timedelta(days=days - 1)).isoformat(), "--end", end.isoformat(),
                     "--sources", "cloudflare_billing"]
        updates: list[tuple[float, int, int, float]] = []
        started = time.monotonic()
        child = subprocess.Popen(cmd, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 bufsize=0)
        reader = threading.Thread(target=read_bar, args=(child.stderr, updates), daemon=True)
        reader.start()
        code = child.wait()
        wall = time.monotonic() - started
        reader.join(timeout=5)
        served = [r for r in httpx.get(f"{url}/_sandbox/requests").json() if r["api"] != "control"]
    if code != 0:
        raise SystemExit(f"backfill exited {code}")
    requests = len(served)
    finished = next(t for t, n, total, _ in updates if n == total)
    errors = [abs(t + eta - finished) / (finished - t) for t, n, total, eta in updates if finished - t >= 5]
    floor = (math.ceil(requests / q) - 1) * w + args.latency_ms / 1000
    report("rate_limited", {
        "requests": requests, "429s": sum(r["status"] == 429 for r in served), "rate": args.rate,
        "latency_ms": args.latency_ms, "wall_s": round(wall, 2), "floor_s": round(floor, 2),
        "wall_over_floor": round(wall / floor, 3), "issue_floor_s": round(requests / (q / w), 2),
        "wall_over_issue_floor": round(wall / (requests / (q / w)), 3),
        "bar_finished_s": round(finished - started, 2), "eta_predictions": len(errors),
        "eta_error_max": round(max(errors), 3) if errors else None,
        "eta_error_median": round(statistics.median(errors), 3) if errors else None,
        "first_eta_s": round(updates[0][3], 1) if updates else None,
        "first_eta_at_s": round(updates[0][0] - started, 2) if updates else None,
        "worst_predictions": sorted(([round(t - started, 1), n, eta, round(abs(t + eta - finished) / (finished - t), 3)]
                                     for t, n, total, eta in updates if finished - t >= 5), key=lambda p: -p[3])[:4],
    })


if __name__ == "__main__":
    main()

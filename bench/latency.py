"""Backfills at a real network's latency: wall time beside the floor the APIs allow.

    python bench/latency.py focus    # 20 accounts x 40 metrics x 730 days, Cloudflare billable usage
    python bench/latency.py venice   # ~1,000,000 charges over 30 days, usage-history (JSON)
    [--latency-ms 150]

Floor = max(network, rate limit, loopback): network = fewest requests x latency / requests in flight (the
source's cap: SOURCES__CLOUDFLARE__CONCURRENCY 16, SOURCES__VENICE__CONCURRENCY 16 parallel cursors); rate limit
= (ceil(requests / q) - 1) x w for a fixed window of q requests per w seconds (the first window's budget is free);
loopback = the same run at 0 ms (parsing, normalize, load: what no request count can hide). Fewest requests:
Cloudflare, one per account and 31-day window; Venice, one per 1,000 charges (its page maximum), whatever the
windows. `floor_issue_formula` is issue 17's max(requests x latency / in_flight, requests / (q / w)).
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench.harness import duckdb_count, env_for, report, run_cli, sandbox_process, workdir  # noqa: E402
from pipelines.sandbox import Sandbox  # noqa: E402


def one_run(kind: str, latency_ms: float, args: argparse.Namespace) -> tuple[float, int, int, int]:
    """(wall, rows, requests served, 429s) of one backfill against a sandbox at `latency_ms`."""
    work = workdir()
    if kind == "focus":
        options = dict(seed=7, accounts=args.accounts, metrics=40, days=730, latency_ms=latency_ms)
        accounts = Sandbox(seed=7, accounts=args.accounts, metrics=40, days=730).account_ids
        end = date.today()
        cli = ["backfill", "--start", (end - timedelta(days=729)).isoformat(), "--end", end.isoformat(),
               "--sources", "cloudflare_billing"]
        table = "cloudflare_billable_usage"
    else:
        options = dict(seed=7, accounts=1, metrics=1, days=1, venice_charges_per_day=args.charges // 30,
                       venice_days=30, latency_ms=latency_ms)
        accounts = None
        end = date.today() - timedelta(days=1)
        cli = ["backfill", "--start", (end - timedelta(days=28)).isoformat(), "--end", end.isoformat(),
               "--sources", "venice"]
        table = "venice_billing_usage"
    with sandbox_process(**options) as url:
        wall, _peak, _ = run_cli(cli, env_for(url, work, accounts), work)
        served = [r for r in httpx.get(f"{url}/_sandbox/requests", timeout=60).json() if r["api"] != "control"]
    return wall, duckdb_count(work, table), len(served), sum(r["status"] == 429 for r in served)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("focus", "venice"))
    parser.add_argument("--latency-ms", type=float, default=150)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--charges", type=int, default=1_000_000)
    args = parser.parse_args()
    loopback, rows0, _, _ = one_run(args.kind, 0, args)
    wall, rows, requests, limited = one_run(args.kind, args.latency_ms, args)
    latency = args.latency_ms / 1000
    if args.kind == "focus":
        fewest, in_flight, (q, w) = args.accounts * math.ceil(730 / 31), 16, (1200, 300)
    else:
        fewest, in_flight, (q, w) = math.ceil(rows / 1000), 16, (6000, 60)
    network = fewest * latency / in_flight
    rate = (math.ceil(fewest / q) - 1) * w
    floor = max(network, rate, loopback)
    report(f"{args.kind}_at_latency", {
        "latency_ms": args.latency_ms, "rows": rows, "rows_at_0ms": rows0, "wall_s": round(wall, 2),
        "requests": requests, "fewest_requests": fewest, "429s": limited, "in_flight_cap": in_flight,
        "floor_network_s": round(network, 2), "floor_rate_limit_s": rate, "loopback_wall_s": round(loopback, 2),
        "floor_s": round(floor, 2), "wall_over_floor": round(wall / floor, 3),
        "floor_issue_formula_s": round(max(network, fewest / (q / w)), 2),
        "wall_over_issue_floor": round(wall / max(network, fewest / (q / w)), 3),
    })


if __name__ == "__main__":
    main()

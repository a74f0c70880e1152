"""FOCUS backfill at volume: 20 accounts x 40 metrics x 730 days (~584k records) through the real CLI.

Prints rows/s end to end and peak RSS, then the baseline: the same payload fetched to NDJSON on disk and
loaded by DuckDB's own read_json, so the figure is a ratio, not just a time.
    python bench/focus_backfill.py [--accounts 20 --metrics 40 --days 730]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import orjson  # noqa: E402

from bench.harness import read_json_baseline, duckdb_count, env_for, report, run_cli, sandbox_process, workdir  # noqa: E402
from pipelines.sandbox import CLOUDFLARE_TOKEN, Sandbox  # noqa: E402
from sources.windows import date_windows  # noqa: E402


def baseline(url: str, accounts: list[str], start: date, end: date, work: Path) -> tuple[float, int]:
    """Fetch every window, write the records as NDJSON, and let DuckDB read_json load them."""
    ndjson = work / "focus.ndjson"
    with httpx.Client(base_url=f"{url}/client/v4", headers={"Authorization": f"Bearer {CLOUDFLARE_TOKEN}"},
                      timeout=60) as http, open(ndjson, "wb") as out:
        for account in accounts:
            for w0, w1 in date_windows(start, end, 31):
                body = http.get(f"/accounts/{account}/billable/usage",
                                params={"from": w0.isoformat(), "to": w1.isoformat()}).content
                for record in orjson.loads(body)["result"]:
                    out.write(orjson.dumps(record) + b"\n")
    return read_json_baseline(ndjson, work)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--metrics", type=int, default=40)
    parser.add_argument("--days", type=int, default=730)
    args = parser.parse_args()
    accounts = Sandbox(seed=7, accounts=args.accounts, metrics=args.metrics, days=args.days).account_ids
    end = date.today()
    start = end - timedelta(days=args.days - 1)
    work = workdir()
    with sandbox_process(seed=7, accounts=args.accounts, metrics=args.metrics, days=args.days) as url:
        env = env_for(url, work, accounts)
        wall, peak_mb, _ = run_cli(["backfill", "--start", start.isoformat(), "--end", end.isoformat(),
                                    "--sources", "cloudflare_billing"], env, work)
        rows = duckdb_count(work, "cloudflare_billable_usage")
        base_wall, base_rows = baseline(url, accounts, start, end, work)
    report("focus_backfill", {
        "records": rows, "seconds": round(wall, 2), "rows_per_s": round(rows / wall),
        "peak_rss_mb": round(peak_mb), "baseline_read_json_seconds": round(base_wall, 2),
        "baseline_rows": base_rows, "baseline_rows_per_s": round(base_rows / base_wall),
        "ratio_to_baseline": round((rows / wall) / (base_rows / base_wall), 3),
    })


if __name__ == "__main__":
    main()

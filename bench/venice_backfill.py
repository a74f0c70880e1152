"""Venice at volume: ~1,000,000 charges through the real CLI (usage-history, JSON), rows/s and peak RSS.

Baseline: the same pages fetched to NDJSON on disk and loaded by DuckDB's own read_json.
    python bench/venice_backfill.py [--charges 1000000 --days 30 --format json]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import orjson  # noqa: E402

from bench.harness import read_json_baseline, duckdb_count, env_for, report, run_cli, sandbox_process, workdir  # noqa: E402
from pipelines.sandbox import VENICE_ADMIN_KEY  # noqa: E402


def baseline(url: str, start: date, end: date, work: Path) -> tuple[float, int]:
    ndjson = work / "venice.ndjson"
    lo = datetime.combine(start, dtime(), timezone.utc).isoformat().replace("+00:00", "Z")
    hi = datetime.combine(end + timedelta(days=1), dtime(), timezone.utc).isoformat().replace("+00:00", "Z")
    params: dict[str, str] = {"startTimestamp": lo, "endTimestamp": hi, "pageSize": "1000"}
    with httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {VENICE_ADMIN_KEY}"},
                      timeout=60) as http, open(ndjson, "wb") as out:
        while True:
            page = orjson.loads(http.get("/billing/usage-history", params=params).content)
            for record in page["data"]:
                out.write(orjson.dumps(record) + b"\n")
            if not page.get("nextCursor"):
                break
            params = {"cursor": page["nextCursor"]}
    return read_json_baseline(ndjson, work)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--charges", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    args = parser.parse_args()
    work = workdir()
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=args.days - 2)
    per_day = args.charges // args.days
    with sandbox_process(seed=7, accounts=1, metrics=1, days=1, venice_charges_per_day=per_day,
                         venice_days=args.days) as url:
        env = env_for(url, work, None, SOURCES__VENICE__FORMAT=args.format)
        wall, peak_mb, _ = run_cli(["backfill", "--start", start.isoformat(), "--end", end.isoformat(),
                                    "--sources", "venice"], env, work)
        rows = duckdb_count(work, "venice_billing_usage")
        base_wall, base_rows = baseline(url, start, end, work)
    report("venice_backfill", {
        "format": args.format, "charges": rows, "seconds": round(wall, 2), "rows_per_s": round(rows / wall),
        "peak_rss_mb": round(peak_mb), "baseline_read_json_seconds": round(base_wall, 2),
        "baseline_rows": base_rows, "ratio_to_baseline": round((rows / wall) / (base_rows / base_wall), 3),
    })


if __name__ == "__main__":
    main()

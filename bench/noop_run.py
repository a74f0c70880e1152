"""A cron run with nothing new: wall time and HTTP requests per source and account.

    python bench/noop_run.py [--accounts 20] [--live-clock]

"Nothing new" needs a sandbox whose data stands still between the two runs, so its clock is fixed to today
(12:30 UTC). With --live-clock the sandbox's AI Gateway buckets for the current hour and day keep filling, as
Cloudflare's do: the second run then loads those two buckets per account and rebuilds the models (a "small
change" cron run, not a no-op).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench.harness import env_for, report, run_cli, sandbox_process, workdir  # noqa: E402
from pipelines.sandbox import Sandbox  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--live-clock", action="store_true")
    args = parser.parse_args()
    accounts = Sandbox(seed=7, accounts=args.accounts, metrics=40, days=60).account_ids
    work = workdir()
    today = date.today()
    clock = {} if args.live_clock else {"today": today.isoformat()}
    with sandbox_process(seed=7, accounts=args.accounts, metrics=40, days=60, **clock) as url:
        env = env_for(url, work, accounts, SOURCES__CLOUDFLARE__START_DATE=(today - timedelta(days=30)).isoformat(),
                      SOURCES__VENICE__START_DATE=(today - timedelta(days=30)).isoformat())
        run_cli(["run"], env, work)  # the first run loads the month
        httpx.post(f"{url}/_sandbox/reset")
        wall, peak_mb, done = run_cli(["run", "--log-format", "json"], env, work)
        served = httpx.get(f"{url}/_sandbox/requests").json()
    loaded = {s["source"]: s["rows_loaded"] for s in json.loads(done.stdout.strip().splitlines()[-1])["sources"]}
    per_api = Counter(r["api"] for r in served if r["api"] != "control")
    report("noop_run", {"accounts": args.accounts, "clock": "live" if args.live_clock else "fixed",
                        "seconds": round(wall, 2), "rows_loaded": loaded, "requests": sum(per_api.values()),
                        "requests_per_api": dict(per_api), "peak_rss_mb": round(peak_mb)})


if __name__ == "__main__":
    main()

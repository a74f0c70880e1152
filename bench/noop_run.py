"""A cron run with nothing new: wall time and HTTP requests per source and account.

    python bench/noop_run.py [--accounts 20]
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args()
    accounts = Sandbox(seed=7, accounts=args.accounts, metrics=40, days=60).account_ids
    work = workdir()
    today = date.today()
    with sandbox_process(seed=7, accounts=args.accounts, metrics=40, days=60) as url:
        env = env_for(url, work, accounts, SOURCES__CLOUDFLARE__START_DATE=(today - timedelta(days=30)).isoformat(),
                      SOURCES__VENICE__START_DATE=(today - timedelta(days=30)).isoformat())
        run_cli(["run"], env, work)  # the first run loads the month
        httpx.post(f"{url}/_sandbox/reset")
        wall, peak_mb, _ = run_cli(["run"], env, work)
        served = httpx.get(f"{url}/_sandbox/requests").json()
    per_api = Counter(r["api"] for r in served if r["api"] != "control")
    report("noop_run", {"accounts": args.accounts, "seconds": round(wall, 2), "requests": sum(per_api.values()),
                        "requests_per_api": dict(per_api), "peak_rss_mb": round(peak_mb)})


if __name__ == "__main__":
    main()

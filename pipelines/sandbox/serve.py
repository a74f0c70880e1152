"""`finops-etl sandbox` and `python -m pipelines.sandbox`: serve until interrupted."""

from __future__ import annotations

import argparse
import json
import threading
from datetime import date

from pipelines.sandbox.cloudflare_api import CLOUDFLARE_TOKEN
from pipelines.sandbox.network import VENICE_RATE_LIMIT
from pipelines.sandbox.sandbox import Sandbox
from pipelines.sandbox.venice_api import VENICE_ADMIN_KEY


def serve(port: int, **sandbox_kwargs: object) -> None:
    """Serve the sandbox on 127.0.0.1:`port` until Ctrl-C; the first line printed says how to point
    finops-etl at it."""
    sb = Sandbox(port=port, **sandbox_kwargs).start()  # type: ignore[arg-type]
    try:
        print(f"sandbox API on {sb.url} (Cloudflare {sb.cloudflare_base_url}, Venice {sb.venice_base_url}); "
              f"point finops-etl at it with: export SOURCES__CLOUDFLARE__BASE_URL={sb.cloudflare_base_url} "
              f"SOURCES__CLOUDFLARE__API_TOKEN={CLOUDFLARE_TOKEN} "
              f"SOURCES__CLOUDFLARE__ACCOUNT_IDS='{json.dumps(sb.account_ids)}' "
              f"SOURCES__VENICE__BASE_URL={sb.venice_base_url} SOURCES__VENICE__API_KEY={VENICE_ADMIN_KEY}",
              flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines.sandbox", description=serve.__doc__)
    parser.add_argument("--port", type=int, default=8787)
    for name, default in (("seed", 7), ("accounts", 3), ("metrics", 12), ("days", 120),
                          ("venice-charges-per-day", 200), ("venice-days", 30)):
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="fix the sandbox clock to this date (YYYY-MM-DD); default: the real UTC date")
    parser.add_argument("--slow-seconds", type=float, default=0.0, help="delay every data response")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="network latency added to every API request (+-20%% seeded jitter)")
    parser.add_argument("--rate-limit", default="1200/300", help="Cloudflare's limit per token, N/SECONDS")
    parser.add_argument("--venice-rate-limit", default=VENICE_RATE_LIMIT, help="Venice's limit per key, N/SECONDS")
    options = vars(parser.parse_args(argv))
    serve(options.pop("port"), **options)

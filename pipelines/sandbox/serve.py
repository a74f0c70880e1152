"""`finops-etl sandbox` / `python -m pipelines.sandbox`: serve until interrupted, with control endpoints."""

from __future__ import annotations

import argparse
import json
import threading

from pipelines.sandbox.server import CLOUDFLARE_TOKEN, VENICE_ADMIN_KEY, Sandbox


def serve(port: int, **options: object) -> None:
    sb = Sandbox(port=port, **options).start()  # type: ignore[arg-type]
    print(f"sandbox API on {sb.url} (Cloudflare {sb.cloudflare_base_url}, Venice {sb.venice_base_url}); "
          f"point finops-etl at it with:\n"
          f"  export SOURCES__CLOUDFLARE__BASE_URL={sb.cloudflare_base_url} "
          f"SOURCES__CLOUDFLARE__API_TOKEN={CLOUDFLARE_TOKEN} "
          f"SOURCES__CLOUDFLARE__ACCOUNT_IDS='{json.dumps(sb.account_ids)}' "
          f"SOURCES__VENICE__BASE_URL={sb.venice_base_url} SOURCES__VENICE__API_KEY={VENICE_ADMIN_KEY}",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines.sandbox")
    parser.add_argument("--port", type=int, default=8787)
    for name, default in (("seed", 7), ("accounts", 3), ("metrics", 12), ("days", 120),
                          ("venice-charges-per-day", 200), ("venice-days", 30)):
        parser.add_argument(f"--{name}", type=int, default=default)
    args = vars(parser.parse_args())
    serve(args.pop("port"), **args)

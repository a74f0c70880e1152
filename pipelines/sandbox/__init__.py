"""Sandbox API: Cloudflare billable usage v2, AI Gateway usage history and spending limit, and Venice
billing (usage-history and the legacy paged usage), on 127.0.0.1, with deterministic data and faults.

    with Sandbox(seed=7, accounts=3, metrics=12, days=120, today=date(2026, 11, 20)) as sb:
        httpx.get(f"{sb.cloudflare_base_url}/accounts/{sb.account_ids[0]}/billable/usage", ...)
        sb.add_fault(r"/billable/usage$", "status", times=2, status=503)
"""

from pipelines.sandbox.cloudflare_api import CLOUDFLARE_TOKEN
from pipelines.sandbox.sandbox import Sandbox
from pipelines.sandbox.serve import serve
from pipelines.sandbox.venice_api import VENICE_ADMIN_KEY, VENICE_INFERENCE_KEY

__all__ = ["CLOUDFLARE_TOKEN", "VENICE_ADMIN_KEY", "VENICE_INFERENCE_KEY", "Sandbox", "serve"]

"""Sandbox API: Cloudflare billable usage v2, AI Gateway usage history and spending limit, and Venice
billing (usage-history and the legacy paged usage), on 127.0.0.1, with deterministic data and faults.

    with Sandbox(seed=7, accounts=3, metrics=12, days=120) as sb:
        sb.cloudflare_base_url, sb.account_ids, sb.add_fault(r"/billable/usage$", "status", status=500)
"""

from pipelines.sandbox.server import CLOUDFLARE_TOKEN, VENICE_ADMIN_KEY, VENICE_INFERENCE_KEY, Sandbox
from pipelines.sandbox.serve import serve

__all__ = ["Sandbox", "serve", "CLOUDFLARE_TOKEN", "VENICE_ADMIN_KEY", "VENICE_INFERENCE_KEY"]

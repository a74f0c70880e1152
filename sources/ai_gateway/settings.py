"""Cloudflare AI Gateway billing: endpoints, grains and the spending-limit contract."""

from datetime import timedelta

USAGE_HISTORY_PATH = "/accounts/{account_id}/ai-gateway/billing/usage-history"
SPENDING_LIMIT_PATH = "/accounts/{account_id}/ai-gateway/billing/spending-limit"
USAGE_TABLE = "ai_gateway_usage_history"
LIMITS_TABLE = "ai_gateway_spending_limits"
GRAINS = ("hour", "day")
BUCKET = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
# One request covers at most this many hours (no endpoint here pages; keep responses small).
DEFAULT_REQUEST_HOURS = {"hour": 7 * 24, "day": 90 * 24}
PERMISSION = "AI Gateway Read"
DURATIONS = ("daily", "weekly", "monthly")
STRATEGIES = ("fixed", "sliding")
MIN_AMOUNT_CENTS = 100

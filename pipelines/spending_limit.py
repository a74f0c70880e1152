"""`finops-etl spending-limit get|set|clear`: the AI Gateway account-level spending limit.

Cloudflare has deprecated the POST (its SDK says it "always responds 403" and points to per-gateway
spend limits). We still validate and send it, since servers that honour it exist, and say plainly
what a 403 means when it comes.
"""

from __future__ import annotations

import argparse
import json
import sys

import dlt
from dlt.common.configuration import with_config
from dlt.common.configuration.exceptions import ConfigFieldMissingException

from pipelines.errors import CredentialsRejected, UsageError
from sources.ai_gateway.helpers import fetch_limit
from sources.ai_gateway.settings import DURATIONS, LIMITS_TABLE, MIN_AMOUNT_CENTS, PERMISSION, SPENDING_LIMIT_PATH, \
    STRATEGIES
from sources.cloudflare_api import AUTH_ERROR_CODE, DEFAULT_BASE_URL, classify, cloudflare_client
from sources.http_client import ApiClient, ApiStatusError, RetryPolicy

DEPRECATED = ("Cloudflare no longer accepts changes to the account-level AI Gateway spending limit through this "
              "endpoint (POST .../ai-gateway/billing/spending-limit is deprecated and answers 403). Set spend "
              "limits per gateway instead: Cloudflare dashboard > AI > AI Gateway > your gateway > Settings, or "
              "the gateway's own API. `finops-etl spending-limit get` still reads the account-level limit.")


def validate(amount: str, duration: str, strategy: str) -> dict:
    """The request body, or UsageError naming the field and what it accepts. Nothing is sent before this."""
    try:
        cents = int(amount)
    except (TypeError, ValueError):
        cents = None
    if cents is None or str(cents) != str(amount).strip() or cents < MIN_AMOUNT_CENTS:
        raise UsageError(f"--amount must be a whole number of cents, at least {MIN_AMOUNT_CENTS} "
                         f"(e.g. 10000 for $100.00), got {amount!r}")
    if duration not in DURATIONS:
        raise UsageError(f"--duration must be one of {', '.join(DURATIONS)}, got {duration!r}")
    if strategy not in STRATEGIES:
        raise UsageError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    return {"amount": cents, "duration": duration, "strategy": strategy}


@with_config(sections=("sources", "cloudflare"))
def _injected(api_token: str = dlt.secrets.value, account_ids: list[str] = dlt.config.value,
              base_url: str = DEFAULT_BASE_URL, timeout_seconds: float = 30.0, max_retry_seconds: float = 120.0
              ) -> dict:
    """The same keys (and env vars) as the ai_gateway source: SOURCES__CLOUDFLARE__*."""
    return {"api_token": api_token, "account_ids": account_ids, "base_url": base_url,
            "policy": RetryPolicy(timeout_seconds, max_retry_seconds)}


def _config() -> dict:
    try:
        return _injected()
    except ConfigFieldMissingException as exc:
        raise UsageError("spending-limit needs SOURCES__CLOUDFLARE__API_TOKEN and SOURCES__CLOUDFLARE__ACCOUNT_IDS "
                         f"(missing: {', '.join(exc.fields)})") from None


def _accounts(config: dict, chosen: str | None) -> list[str]:
    if chosen is None:
        return list(config["account_ids"])
    if chosen not in config["account_ids"]:
        raise UsageError(f"--account {chosen} is not one of the configured SOURCES__CLOUDFLARE__ACCOUNT_IDS")
    return [chosen]


def _print_limits(client: ApiClient, accounts: list[str]) -> None:
    print(f"{'account':<34}{'enabled':<9}{'amount (cents)':>15}  {'duration':<9}{'strategy':<9}")
    for account in accounts:
        try:
            row = fetch_limit(client, account)
        except ApiStatusError as exc:
            raise classify(exc, account, "the AI Gateway spending limit", PERMISSION) from None
        amount = "-" if row["amount"] is None else f"{row['amount']:,}"
        print(f"{account:<34}{str(row['enabled']).lower():<9}{amount:>15}  {row['duration'] or '-':<9}"
              f"{row['strategy'] or '-':<9}")


def _record_history(accounts: list[str]) -> None:
    """Read the limits back through the pipeline so the change lands in the scd2 history table."""
    from pipelines.lock import run_lock
    from pipelines.runner import make_pipeline
    from sources.ai_gateway import ai_gateway

    pipeline = make_pipeline()
    with run_lock(pipeline.working_dir, "spending-limit set"):
        source = ai_gateway(account_ids=accounts).with_resources(LIMITS_TABLE)
        pipeline.run(source)


def command(args: argparse.Namespace) -> int:
    if args.action == "set":
        body = validate(args.amount, args.duration, args.strategy)
    config = _config()
    accounts = _accounts(config, getattr(args, "account", None))
    with cloudflare_client(config["base_url"], config["api_token"], config["policy"]) as client:
        if args.action == "get":
            _print_limits(client, accounts)
            return 0
        if args.action == "set":
            return _set(client, config, accounts, body, args.dry_run)
        return _clear(client, accounts, args.yes)


def _set(client: ApiClient, config: dict, accounts: list[str], body: dict, dry_run: bool) -> int:
    for account in accounts:
        url = config["base_url"].rstrip("/") + SPENDING_LIMIT_PATH.format(account_id=account)
        if dry_run:
            print(f"POST {url}\nAuthorization: Bearer <SOURCES__CLOUDFLARE__API_TOKEN>\n"
                  f"Content-Type: application/json\n\n{json.dumps(body)}\n")
            continue
        try:
            client.request("POST", SPENDING_LIMIT_PATH.format(account_id=account), json=body)
        except ApiStatusError as exc:
            if exc.status == 403 and exc.code != AUTH_ERROR_CODE:
                raise CredentialsRejected(f"account {account}: HTTP 403 (code {exc.code}: {exc.message}). "
                                          f"{DEPRECATED}") from None
            raise classify(exc, account, "the AI Gateway spending limit", "AI Gateway Write") from None
        print(f"account {account}: spending limit set to {body['amount']:,} cents, {body['duration']}, "
              f"{body['strategy']}")
    if not dry_run:
        _print_limits(client, accounts)
        _record_history(accounts)
    return 0


def _clear(client: ApiClient, accounts: list[str], yes: bool) -> int:
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("spending-limit clear removes the limit: pass --yes to confirm (no terminal to ask)")
        answer = input(f"Remove the AI Gateway spending limit of {', '.join(accounts)}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing removed")
            return 0
    for account in accounts:
        try:
            client.request("DELETE", SPENDING_LIMIT_PATH.format(account_id=account))
        except ApiStatusError as exc:
            raise classify(exc, account, "the AI Gateway spending limit", "AI Gateway Write") from None
        print(f"account {account}: spending limit removed")
    _record_history(accounts)
    return 0

"""Configuration checked before the first request: a bad value exits 2 naming its key and the expected form.

Without these checks a token with a trailing newline, an `ftp://` base URL or a negative timeout fail inside
httpx on every request, look like a provider outage, are retried for minutes and exit 4; a start date after
the end date loads nothing and exits 0. Keys are named in their environment form, as DESIGN.md lists them.
"""

from __future__ import annotations

import typing
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException

from pipelines.errors import UsageError
from pipelines.logs import register_secret

SECTIONS = {"cloudflare_billing": "cloudflare", "ai_gateway": "cloudflare", "venice": "venice"}
SECRET_FIELDS = {"api_token", "api_key"}
_EXPECTED = {list: 'a JSON list of strings, e.g. ["id1","id2"]', int: "a whole number, e.g. 3",
             float: "a number, e.g. 30", bool: "true or false", str: "text", date: "a date like 2026-07-03"}


def env_key(section: str, field: str) -> str:
    return f"SOURCES__{section.upper()}__{field.upper()}"


def config_type_error(source: str, exc: ConfigValueCannotBeCoercedException) -> UsageError:
    """dlt could not coerce a configured value to the source argument's type (`ACCOUNT_IDS=abc`)."""
    hint = typing.get_origin(exc.hint) or exc.hint
    if hint is typing.Union:  # Optional[int] and the like: name the non-None type
        hint = next((typing.get_origin(a) or a for a in typing.get_args(exc.hint) if a is not type(None)), str)
    expected = _EXPECTED.get(hint, f"a value of type {getattr(hint, '__name__', hint)}")
    shown = "" if exc.field_name in SECRET_FIELDS else f", got {exc.field_value!r}"
    return UsageError(f"{env_key(SECTIONS[source], exc.field_name)} must be {expected}{shown}")


def check_token(value: Any, key: str) -> None:
    """Reject an empty token, or one with whitespace or control characters, without ever echoing it."""
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{key} is empty: set it to the API token")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        register_secret(value)  # in case some later message quotes it anyway
        raise UsageError(f"{key} contains whitespace or a control character (often a trailing newline from a "
                         f"file or `echo`): remove it. The value is not shown here.")


def check_base_url(value: Any, key: str, example: str) -> None:
    try:
        parts = urlsplit(str(value))
        _ = parts.port  # raises on a port that is not a number
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid or any(ch.isspace() for ch in str(value)):
        raise UsageError(f"{key} must be an http(s) URL like {example}, got {value!r}")


def check_number(value: Any, key: str, *, minimum: float, inclusive: bool = True, whole: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (not whole or isinstance(value, int))
    ok = ok and (value >= minimum if inclusive else value > minimum)
    if not ok:
        bound = f"at least {minimum:g}" if inclusive else f"greater than {minimum:g}"
        kind = "a whole number" if whole else "a number"
        raise UsageError(f"{key} must be {kind} {bound}, got {value!r}")


def check_account_ids(value: Any, key: str) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(a, str) and a.strip() for a in value):
        raise UsageError(f'{key} must be a non-empty JSON list of account ids, e.g. ["id1","id2"], got {value!r}')


def check_date_order(start: date | None, end: date | None, start_key: str, end_key: str) -> None:
    if start is not None and end is not None and start > end:
        raise UsageError(f"{start_key} ({start}) is after {end_key} ({end}): nothing would ever be loaded")


def check_common(section: str, *, token: Any, token_field: str, base_url: Any, base_url_example: str,
                 timeout_seconds: Any, max_retry_seconds: Any, lookback_days: Any,
                 start: date | None, end: date | None) -> None:
    """The checks every source shares; call before any client is built."""
    check_token(token, env_key(section, token_field))
    check_base_url(base_url, env_key(section, "base_url"), base_url_example)
    check_number(timeout_seconds, env_key(section, "timeout_seconds"), minimum=0, inclusive=False)
    check_number(max_retry_seconds, env_key(section, "max_retry_seconds"), minimum=0)
    check_number(lookback_days, env_key(section, "lookback_days"), minimum=0, whole=True)
    check_date_order(start, end, env_key(section, "start_date"), env_key(section, "end_date"))

"""Operator logging: plain lines or JSON lines on stderr, with every known secret redacted."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from urllib.parse import quote

_secrets: set[str] = set()


def secret_forms(value: str) -> set[str]:
    """Every spelling of a secret a message may carry: as given, stripped, as Python shows it in a str or
    bytes repr (`\\n` escaped: httpx quotes a bad header as b'Bearer tok\\n'), and percent-encoded."""
    forms = set()
    for text in {value, value.strip()}:
        forms |= {text, repr(text)[1:-1], repr(text.encode())[2:-1], quote(text, safe="")}
    return {form for form in forms if len(form.strip()) >= 6}


def register_secret(value: str | None) -> None:
    """A token we hold; any log line that would carry it gets it replaced. Belt and braces: we never
    format a token into a message, but a library's exception might."""
    if value:
        _secrets.update(secret_forms(value))


def redact(text: str) -> str:
    # longest first, so a repr'd form is replaced whole before a shorter form inside it
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    return text


class _RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record, traceback included (a filter sees only the message)."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        for key in ("exit_code", "event", "source"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        return json.dumps(entry)


class _OurFormatHandler(logging.StreamHandler):
    """dlt sets its own formatter on the first handler of its logger whenever its runtime starts (a new
    pipeline): the formatter set here stays."""

    def setFormatter(self, fmt: logging.Formatter | None) -> None:  # noqa: N802 - logging's own name
        if self.formatter is None:
            super().setFormatter(fmt)


def _handler(log_format: str) -> logging.Handler:
    handler = _OurFormatHandler(sys.stderr)
    inner = _JsonFormatter() if log_format == "json" else logging.Formatter("finops-etl: %(levelname)s: %(message)s")
    handler.setFormatter(_RedactingFormatter(inner))
    return handler


def configure_logging(log_format: str, verbose: bool) -> None:
    root = logging.getLogger("finops_etl")
    root.handlers[:] = [_handler(log_format)]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False
    # dlt logs through its own `dlt` logger, in its own `asctime|[LEVEL]|pid|thread|...` lines: warnings about its
    # internals (pending packages, which the runner finishes itself) and a traceback for every retry of a load job.
    # Whatever fails reaches the user as our own classified error and summary line, so dlt's lines show with -v
    # only, in our format, redacted. The level sits on the handler: dlt resets its logger's level at start-up.
    dlt_handler = _handler(log_format)
    dlt_handler.setLevel(logging.DEBUG if verbose else logging.CRITICAL + 1)
    dlt_logger = logging.getLogger("dlt")
    dlt_logger.handlers[:] = [dlt_handler]
    dlt_logger.propagate = False

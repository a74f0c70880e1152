"""One small exception hierarchy: each class carries the exit code cron acts on (see DESIGN.md)."""

from __future__ import annotations

from pipelines.logs import redact


class FinopsError(Exception):
    """Base class: a message a user can act on, and the process exit code it maps to."""

    exit_code = 1

    def __init__(self, message: str):
        # Messages often quote a library's exception (an httpx header error quotes the header): redact here,
        # so no summary line, log line or `_run_history` row can carry a token.
        message = redact(message)
        super().__init__(message)
        self.message = message


class UsageError(FinopsError):
    """Bad command-line input or configuration (exit 2)."""

    exit_code = 2


class WarehouseError(FinopsError):
    """The warehouse could not be opened or written (locked, missing, read-only, corrupt, disk full): exit 1.

    Nothing is lost: what was extracted waits in a pending package that the next run loads first."""

    exit_code = 1


class CredentialsRejected(FinopsError):
    """The provider answered 401/403 to our credentials (exit 3)."""

    exit_code = 3


class ProviderFailing(FinopsError):
    """The provider kept failing after retries, or sent a body we could not read (exit 4)."""

    exit_code = 4


class RunLocked(FinopsError):
    """Another run holds the pipeline lock (exit 5)."""

    exit_code = 5


class AccessRefused(FinopsError):
    """A restricted endpoint refused one account; the rest of the run went on (exit 6, partial)."""

    exit_code = 6


# Which outcome wins when one run ends with several: the one cron must act on first.
EXIT_PRIORITY = [3, 4, 2, 1, 6, 0]


def worst_exit_code(codes: list[int]) -> int:
    present = set(codes) or {0}
    return next(code for code in EXIT_PRIORITY if code in present)

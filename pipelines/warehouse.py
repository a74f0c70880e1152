"""The warehouse file's own failures, named: which file, which cause, what to do. Always exit 1.

dlt reports every failure to open DuckDB as "check credentials ... your internet connection may be down";
DuckDB's own message underneath says what really happened. Nothing is lost in any of these cases: rows
extracted before the failure wait in a pending package, which the next run loads before anything else.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pipelines.errors import FinopsError, WarehouseError

DUCKDB_KEY = "DESTINATION__DUCKDB__CREDENTIALS"
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (\S+) \(PID (\d+)\)")
_QUOTED_PATH = re.compile(r"""["'](/[^"']+)["']""")
_CORRUPT = ("not a valid DuckDB database file", "Could not read enough bytes", "Corrupt database",
            "checksum", "INTERNAL Error", "Serialization Error")
_RERUN = "then run again: the next run loads what this one could not, before anything new"


def duckdb_file() -> Path | None:
    """The DuckDB file the pipeline writes, if the destination is DuckDB (runner.make_pipeline pins it)."""
    value = os.environ.get(DUCKDB_KEY)
    return Path(value) if value and not os.environ.get("DESTINATION_TYPE") else None


def check_warehouse() -> None:
    """Open the DuckDB file once before any request: a locked or broken warehouse fails the run in a second,
    not after an hour of extracting."""
    path = duckdb_file()
    if path is None:
        return
    import duckdb

    try:
        duckdb.connect(str(path)).close()
    except duckdb.Error as exc:
        raise warehouse_failure(exc) or WarehouseError(f"warehouse {path} ({DUCKDB_KEY}): {exc}") from None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        # dlt's step and job errors keep the original as an attribute, besides the usual cause/context
        todo += [item.__cause__, item.__context__, getattr(item, "exception", None),
                 getattr(item, "dbapi_exception", None), getattr(item, "job_exception", None)]
    return seen


def warehouse_failure(exc: BaseException) -> WarehouseError | None:
    """The WarehouseError an exception amounts to, or None if it is not about the warehouse's storage."""
    chain = _chain(exc)
    if any(isinstance(e, FinopsError) for e in chain):
        return None
    text = " | ".join(str(e) for e in chain)
    cause = _cause(text, chain)
    if cause is None:
        return None
    named = _paths_in(text, chain)
    path = duckdb_file()
    if path is not None and (not named or any(p.startswith(str(path)) for p in named)):
        return WarehouseError(f"warehouse {path} ({DUCKDB_KEY}): {cause}")
    return WarehouseError(f"{named[0] if named else 'a file the run writes'}: {cause}")


def _cause(text: str, chain: list[BaseException]) -> str | None:
    holder = _LOCK_HOLDER.search(text)
    if holder:
        return (f"held by pid {holder.group(2)} ({holder.group(1)}): another process has it open for writing. "
                f"Close that connection (a DuckDB shell, a notebook, a second pipeline), {_RERUN}.")
    if "No space left on device" in text or any(getattr(e, "errno", None) == 28 for e in chain):
        return f"disk full (No space left on device). Free space on that disk, {_RERUN}."
    if "Read-only file system" in text or "Permission denied" in text:
        return f"not writable (read-only file system or no permission). Make it writable, {_RERUN}."
    if "Cannot open file" in text and "No such file or directory" in text:
        return (f"its directory does not exist. Create it, or point {DUCKDB_KEY} at the right place, {_RERUN}.")
    if any(marker in text for marker in _CORRUPT):
        return ("corrupt or truncated (DuckDB cannot read it). Restore it from a backup, or move it aside: the "
                "next run then starts a new warehouse and loads again from START_DATE.")
    return None


def _paths_in(text: str, chain: list[BaseException]) -> list[str]:
    """The files the failure names (an OSError's filename, paths DuckDB quotes), never a traceback's .py file."""
    paths = [e.filename for e in chain if isinstance(e, OSError) and isinstance(e.filename, str)]
    paths += _QUOTED_PATH.findall(text)
    return [p for p in paths if not p.endswith(".py")]

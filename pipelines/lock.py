"""One run at a time per pipeline: an OS file lock, so a run killed with -9 never leaves it held."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from pipelines.errors import RunLocked


@contextmanager
def run_lock(directory: str | os.PathLike[str], command: str) -> Iterator[None]:
    """Hold `run.lock` in the pipeline's working dir for the whole run.

    flock() belongs to the open file, so the kernel drops it the moment the holder dies: a lock file
    left behind by a killed run is just a file, and the next run takes it at once.
    """
    path = Path(directory) / "run.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown holder"
            raise RunLocked(f"another finops-etl run holds the lock ({holder}); lock file {path}. "
                            f"Wait for it to finish; a killed run releases the lock by itself.") from None
        handle.seek(0)
        handle.truncate()
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()}, `{command}` started {started}")
        handle.flush()
        yield
    finally:
        handle.close()

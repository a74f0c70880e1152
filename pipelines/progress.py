"""Progress of a long backfill when stderr is not a terminal: one line through our logger, every few seconds.

dlt's own LogCollector writes multi-line blocks (a dashed header, one line per counter, a blank line) at the
start and end of every step, bookkeeping steps included; a cron log wants one line per update.
"""

from __future__ import annotations

import logging

from dlt.common.runtime.collector import LogCollector

_STEP_COUNTERS = ("Resources", "Files", "Jobs")


class ProgressLines(LogCollector):
    def __init__(self, log_period: float = 5.0):
        super().__init__(log_period=log_period, logger=logging.getLogger("finops_etl.progress"),
                         dump_system_stats=False)

    def dump_counters(self) -> None:
        tables = {name: count for name, count in self.counters.items() if name not in _STEP_COUNTERS}
        if not any(tables.values()) or all(name.startswith("_") for name in tables):
            return  # nothing counted yet, or only dlt's and our own bookkeeping tables
        step = (self.step or "").split(" in ")[0].strip().lower()
        counts = ", ".join(f"{name} {count:,}" for name, count in tables.items())
        self._log(self.log_level, f"progress: {step}: {counts}")

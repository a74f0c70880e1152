"""Hand dlt big Arrow tables: its extract cost is per item, so ~50k rows at a time beat one page at a time."""

from __future__ import annotations

import pyarrow as pa

BATCH_ROWS = 50_000


class ArrowBatcher:
    def __init__(self, rows: int = BATCH_ROWS):
        self.rows = rows
        self._tables: list[pa.Table] = []
        self._count = 0

    def add(self, table: pa.Table | None) -> pa.Table | None:
        """Keep the page (None: nothing to keep); return a batch once enough rows are held."""
        if table is not None and table.num_rows:
            self._tables.append(table)
            self._count += table.num_rows
        return self.flush() if self._count >= self.rows else None

    def flush(self) -> pa.Table | None:
        if not self._tables:
            return None
        batch = pa.concat_tables(self._tables, promote_options="permissive")
        self._tables, self._count = [], 0
        return batch

"""DuckDB session settings for our own DuckDB-only fast paths (the Parquet export)."""

from __future__ import annotations

# The export writes a hive partition per month, each with its own row-group buffers, so it takes more memory
# than the loads' cap. Insertion order (meaningless for these tables) is not preserved, which lets DuckDB stream.
EXPORT_MEMORY_LIMIT = "2GB"


def analytic_session(con, memory_limit: str | None = None) -> None:  # noqa: ANN001 - a DuckDB connection
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET TimeZone = 'UTC'")  # date_trunc and day boundaries in UTC, whatever the host says

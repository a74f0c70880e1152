"""How the sources hand rows to dlt: merge by key, or append when the rows provably are not loaded yet."""

from __future__ import annotations

import dlt

# Each load package holds a key once (windows never overlap within a run and each window is deduplicated on
# its key), so dlt can skip its staging dedup: the merge becomes a plain DELETE + INSERT that streams.
MERGE_DEDUPLICATED = {"disposition": "merge", "strategy": "delete-insert", "deduplicated": True}


# Off for the rest of a run that just finished an interrupted run's packages: a kill in dlt's last moments can
# leave the marks behind rows that are in the warehouse now, and an append over them would double them. A merge
# is always right (pipelines/pending.py switches it off).
appends_allowed = True


def loaded_marks(resource: str, key: str) -> dict[str, str] | None:
    """A resource's high-water marks as its source function sees them, None outside a pipeline.

    A source that finds everything it plans past these marks appends instead of merging (one COPY instead of
    staging, DELETE and INSERT). The marks are saved locally at extract and stored with the data in the same
    load, so they also cover packages still waiting to load.
    """
    if not appends_allowed:
        return None
    try:
        state = dlt.current.source_state()
    except Exception:  # noqa: BLE001 - the source used on its own: the caller merges, the safe default
        return None
    return state.get("resources", {}).get(resource, {}).get(key, {})

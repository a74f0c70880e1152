"""Records that failed validation go to `_rejected_records` with the reason: never dropped silently."""

from __future__ import annotations

from typing import Any

import dlt
from dlt.common.storages.load_package import load_package_state

from sources.arrow_records import Rejection

REJECTED_TABLE = "_rejected_records"

_HINTS = dlt.mark.make_hints(
    table_name=REJECTED_TABLE,
    write_disposition="append",
    primary_key=[],  # a variant of a keyed resource: the quarantine has no merge key of its own
    columns={
        "source": {"data_type": "text", "nullable": False},
        "payload": {"data_type": "text", "nullable": False},
        "reason": {"data_type": "text", "nullable": False},
        "position": {"data_type": "text"},
        "load_id": {"data_type": "text"},
    },
)


def quarantined(source: str, rejections: list[Rejection]) -> Any:
    """A data item for the rejected-records table, yielded by any resource beside its own rows."""
    try:
        load_id = load_package_state()["load_id"]
    except Exception:  # noqa: BLE001 - outside an extract there is no package; _dlt_load_id still holds it
        load_id = None
    rows = [
        {"source": source, "payload": r.payload, "reason": r.reason, "position": r.position, "load_id": load_id}
        for r in rejections
    ]
    return dlt.mark.with_hints(rows, _HINTS, create_table_variant=True)

"""The sandbox's Venice answers validate against Venice's own swagger schema (vendored in venice_schema.py)."""

from __future__ import annotations

import httpx
import pytest

from conftest import VENICE_ADMIN_KEY
from contracts.venice_schema import DETAILED_ERROR, USAGE_HISTORY_200, as_json_schema

jsonschema = pytest.importorskip("jsonschema", reason="the schema contract test needs the test extra")


@pytest.fixture
def venice(sandbox):
    with httpx.Client(base_url=sandbox.venice_base_url, headers={"Authorization": f"Bearer {VENICE_ADMIN_KEY}"},
                      timeout=30) as client:
        yield client


def validator(schema: dict):
    return jsonschema.Draft202012Validator(as_json_schema(schema), format_checker=jsonschema.FormatChecker())


def test_every_usage_history_page_validates_against_venices_schema(sandbox, venice):
    check = validator(USAGE_HISTORY_200)
    params = {"startTimestamp": "2026-10-01T00:00:00.000Z", "endTimestamp": "2026-10-08T00:00:00.000Z"}
    pages = charges = 0
    while True:
        body = venice.get("/billing/usage-history", params=params).json()
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(body)]
        assert errors == [], errors[:5]
        pages, charges = pages + 1, charges + len(body["data"])
        if not body["nextCursor"]:
            break
        params = {"cursor": body["nextCursor"]}
    assert pages > 1 and charges == 7 * 600


def test_a_rejected_cursor_answers_venices_detailed_error(sandbox, venice):
    first = venice.get("/billing/usage-history", params={"pageSize": "10"}).json()
    sandbox.add_fault(r"/usage-history$", "expire_cursor", message="cursor signature mismatch")
    rejected = venice.get("/billing/usage-history", params={"cursor": first["nextCursor"]})
    assert rejected.status_code == 400
    validator(DETAILED_ERROR).validate(rejected.json())

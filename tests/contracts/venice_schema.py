"""Venice's own JSON schema for GET /billing/usage-history (200, application/json) and its 400 body, vendored.

Source: github.com/veniceai/api-docs, file swagger.yaml, commit 601b7bb19921f0e31bc805d51322085cd6fc4ac5
(2026-08-22, API version 20260821.193530), paths./billing/usage-history.get.responses["200"] and
components.schemas.DetailedError. Copied 2026-12-01; descriptions and examples dropped, nothing else changed.
OpenAPI 3.0 `nullable: true` is turned into JSON Schema by `as_json_schema`.
"""

USAGE_HISTORY_200 = {'type': 'object',
 'properties': {'data': {'type': 'array',
                         'items': {'type': 'object',
                                   'properties': {'amount': {'type': 'number'},
                                                  'currency': {'type': 'string',
                                                               'enum': ['USD', 'DIEM', 'BUNDLED_CREDITS']},
                                                  'inferenceDetails': {'type': 'object',
                                                                       'nullable': True,
                                                                       'properties': {'completionTokens': {'type': 'integer',
                                                                                                           'nullable': True,
                                                                                                           'minimum': 0},
                                                                                      'inferenceExecutionTime': {'type': 'integer',
                                                                                                                 'nullable': True,
                                                                                                                 'minimum': 0},
                                                                                      'promptTokens': {'type': 'integer',
                                                                                                       'nullable': True,
                                                                                                       'minimum': 0},
                                                                                      'requestId': {'type': 'string'}},
                                                                       'required': ['completionTokens',
                                                                                    'inferenceExecutionTime',
                                                                                    'promptTokens',
                                                                                    'requestId'],
                                                                       'additionalProperties': False},
                                                  'notes': {'type': 'string'},
                                                  'pricePerUnitUsd': {'type': 'number'},
                                                  'sku': {'type': 'string'},
                                                  'timestamp': {'type': 'string',
                                                                'maxLength': 40,
                                                                'format': 'date-time'},
                                                  'units': {'type': 'number'}},
                                   'required': ['amount',
                                                'currency',
                                                'inferenceDetails',
                                                'notes',
                                                'pricePerUnitUsd',
                                                'sku',
                                                'timestamp',
                                                'units'],
                                   'additionalProperties': False},
                         'maxItems': 1000},
                'nextCursor': {'type': 'string',
                               'nullable': True,
                               'maxLength': 512,
                               'pattern': '^[A-Za-z0-9_-]+$'}},
 'required': ['data', 'nextCursor'],
 'additionalProperties': False}

DETAILED_ERROR = {'type': 'object',
 'properties': {'details': {'type': 'object', 'properties': {}}, 'error': {'type': 'string'}},
 'required': ['error']}


def as_json_schema(node: object) -> object:
    """OpenAPI 3.0 -> JSON Schema: `nullable: true` becomes a type list with "null" (and null in an enum)."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        out["type"] = [node["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out

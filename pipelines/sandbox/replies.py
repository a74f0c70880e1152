"""What the API handlers take and give: a parsed request and a reply the server writes in one piece."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus

import orjson


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes = b""

    def bearer(self) -> str | None:
        """The token of an `Authorization: Bearer <token>` header (never logged or stored)."""
        value = self.headers.get("Authorization") or ""
        return value[7:].strip() if value[:7].lower() == "bearer " else None


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_reply(status: int, payload: object, headers: list[tuple[str, str]] | None = None) -> Reply:
    return Reply(status, orjson.dumps(payload), headers=headers or [])


def reason(status: int) -> str:
    """The standard reason phrase; Cloudflare's own 52x statuses have none in the stdlib."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown Error"

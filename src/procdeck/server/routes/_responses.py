"""Helpers shared by the routers: JSON responses and OpenAPI response documentation."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from procdeck.models import ApiError
from procdeck.server.errors import PROBLEM_JSON

JSON = "application/json"


def json_response(
    content: str | bytes, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A response with a body that is already JSON text."""
    return Response(content=content, status_code=status_code, media_type=JSON, headers=headers)


def problem(description: str) -> dict[str, Any]:
    """OpenAPI documentation of an RFC 7807 error response."""
    return {"model": ApiError, "description": description, "content": {PROBLEM_JSON: {}}}


def link(href: str, rel: str, title: str, type_: str = JSON) -> dict[str, str]:
    """A link object with the fields the seed shows."""
    return {"href": href, "hreflang": "en", "rel": rel, "title": title, "type": type_}

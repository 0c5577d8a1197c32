"""The openers that need no library: JSON, text and raw bytes."""

from __future__ import annotations

from procdeck.results._read import json_content, raw_bytes, text_content
from procdeck.results.opener import Opener

__all__ = ["plain_openers"]


def plain_openers() -> list[Opener]:
    return [
        Opener("json", "json", json_content, media_types=("application/json",),
               extensions=(".json",), accepts_value=True),
        Opener("text", "text", text_content, media_types=("text/plain", "text/*"),
               extensions=(".txt",), accepts_value=True),
        Opener("bytes", "bytes", raw_bytes, media_types=("application/octet-stream",),
               priority=-100),
    ]

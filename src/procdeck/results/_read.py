"""Reading a source's content in the forms the openers need (standard library only)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from procdeck.results.source import Source, media_type_params

__all__ = ["file_or_buffer", "json_content", "raw_bytes", "text_content"]


def file_or_buffer(source: Source) -> Path | io.BytesIO:
    """The local file, or the bytes as a buffer, for libraries that read either."""
    if source.path is not None:
        return source.path
    if source.data is not None:
        return io.BytesIO(source.data)
    raise ValueError("no file or bytes to read (download the link first)")


def raw_bytes(source: Source) -> bytes:
    if source.data is not None:
        return source.data
    if source.path is not None:
        return source.path.read_bytes()
    if source.has_value and isinstance(source.value, str):
        return source.value.encode()
    raise ValueError("no bytes to read (download the link first)")


def text_content(source: Source) -> str:
    if source.has_value and isinstance(source.value, str):
        return source.value
    charset = media_type_params(source.media_type).get("charset") or "utf-8"
    return raw_bytes(source).decode(charset)


def json_content(source: Source) -> Any:
    """The inline value, else the bytes or file parsed as JSON."""
    if source.has_value:
        return source.value
    return json.loads(raw_bytes(source))

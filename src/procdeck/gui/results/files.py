"""A result as a file: its name, its bytes (inline values), and whether it may be fetched.

Panel-free. The app's download button and the notebook's download link both
ask here what a result's file is called and what it holds:

- a link: the bytes it points to (fetched through the client), named after the
  link's last path segment, or ``<job>_<output>.<ext>`` from its media type;
- an inline string or qualified value: its decoded content (base64 decoded for
  binary media types) in its media type;
- any other value (numbers, objects, lists): JSON, as before.

A Zarr store is a directory, not a file: it has no download, only the
``open_job_result`` line.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import shlex
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from procdeck.client._download import extension_for
from procdeck.gui.results.kinds import ResultItem

__all__ = [
    "MAX_DOWNLOAD_BYTES",
    "MAX_PREVIEW_BYTES",
    "InlineFile",
    "cli_download_line",
    "extension_for",
    "file_name",
    "inline_file",
    "is_zarr",
    "json_file",
    "media_type_of",
]

MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024  # above: the link's URL and the CLI line instead
MAX_PREVIEW_BYTES = 20 * 1024 * 1024  # previews fetch at most this much

_TEXT_TYPES = re.compile(r"^(text/.*|application/(.*\+)?(json|xml|csv|yaml|x-yaml|javascript))$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def media_type_of(item: ResultItem) -> str | None:
    """The result's media type, lower case, without parameters (``; charset=...``)."""
    if not item.media_type:
        return None
    media = item.media_type.lower().strip()
    if media.startswith("image/tiff") and "geotiff" in media:
        return "image/tiff"
    return media.split(";")[0].strip() or None


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._") or "result"


def _link_segment(href: str) -> str | None:
    path = urlsplit(href).path.rstrip("/")
    segment = unquote(path.rsplit("/", 1)[-1]) if path else ""
    segment = segment.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in segment.strip("."):
        return None  # no extension: the media type names the file better
    return _safe(segment)


def file_name(item: ResultItem, job_id: str | None) -> str:
    """The name a downloaded result is saved under.

    A link's last path segment when it has an extension (``scene.csv``), else
    ``<job>_<output>.<ext>`` with the extension of the media type.
    """
    if item.href is not None:
        segment = _link_segment(item.href)
        if segment is not None:
            return segment
    default = ".txt" if item.href is None and isinstance(item.value, str) else ".bin"
    if item.href is None and not isinstance(item.value, str):
        default = ".json"
    stem = f"{_safe(job_id or 'job')}_{_safe(item.key)}"
    return stem + extension_for(media_type_of(item), default)


def is_zarr(item: ResultItem) -> bool:
    """A Zarr store (a directory: no single file to download)."""
    media = media_type_of(item) or ""
    path = urlsplit(item.href or "").path.lower().rstrip("/")
    return "zarr" in media or path.endswith(".zarr")


@dataclass(frozen=True, slots=True)
class InlineFile:
    """The file an inline result stands for: its bytes and media type."""

    data: bytes
    media_type: str


def _is_binary(media: str | None) -> bool:
    return media is not None and not _TEXT_TYPES.match(media)


def inline_file(item: ResultItem) -> InlineFile | None:
    """The decoded content of an inline string or qualified string value, else None.

    Base64 is decoded when the value says ``encoding: base64`` or its media type is
    binary (images, NetCDF, octet-stream...) and the text is base64. Objects, lists
    and numbers are JSON values: None (they keep the JSON download).
    """
    if item.href is not None or not isinstance(item.value, str):
        return None
    media = media_type_of(item)
    text = item.value
    encoding = item.raw.get("encoding") if isinstance(item.raw, dict) else None
    wants_base64 = isinstance(encoding, str) and encoding.lower() == "base64"
    if media is None and text.startswith("data:") and ";base64," in text[:100]:
        head, _, payload = text.partition(",")
        media = head[5:].split(";")[0].lower() or "application/octet-stream"
        text, wants_base64 = payload, True
    if (wants_base64 or _is_binary(media)) and _BASE64.match(text):
        # not base64 after all: the text itself
        with contextlib.suppress(binascii.Error, ValueError):
            return InlineFile(base64.b64decode("".join(text.split()), validate=True),
                              media or "application/octet-stream")
    return InlineFile(text.encode("utf-8"), media or "text/plain")


def json_file(value: Any) -> bytes:
    """A JSON value as pretty JSON bytes (the download of objects, lists and numbers)."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode()


def cli_download_line(job_id: str | None, key: str) -> str:
    """The command that downloads a result too large for the page."""
    job = shlex.quote(job_id) if job_id else "JOB"
    return f"procdeck results {job} --output {shlex.quote(key)} --download DIR"

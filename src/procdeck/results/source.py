"""One job output as it arrived, and what can be read off it without opening it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["Source", "base_media_type", "media_type_params"]


@dataclass(frozen=True)
class Source:
    """One job output to open, as it arrived.

    Exactly what the client knows: an inline JSON ``value`` (when ``has_value``), decoded
    ``data`` bytes, a local ``path`` (file or directory), or a lazily opened Zarr ``store``;
    the original ``href``, the ``media_type`` (link ``type``, qualified ``mediaType`` or HTTP
    ``Content-Type``, parameters allowed) and the output's ``schema`` help choose the opener.
    """

    output: str
    value: Any = None
    has_value: bool = False
    data: bytes | None = None
    path: Path | None = None
    href: str | None = None
    media_type: str | None = None
    schema: Mapping[str, Any] | None = None
    store: Any = None

    def __post_init__(self) -> None:
        # lenient with what callers hand in: a str path, a bytearray or memoryview
        if self.path is not None and not isinstance(self.path, Path):
            object.__setattr__(self, "path", Path(self.path))
        if self.data is not None and not isinstance(self.data, bytes):
            object.__setattr__(self, "data", bytes(self.data))

    def head(self, size: int = 512) -> bytes:
        """The first ``size`` bytes of ``data`` or of the file at ``path``; ``b""`` if neither."""
        if self.data is not None:
            return self.data[:size]
        if self.path is not None and self.path.is_file():
            try:
                with self.path.open("rb") as file:
                    return file.read(size)
            except OSError:
                return b""
        return b""

    @property
    def base_media_type(self) -> str | None:
        """The media type, lower-case, without parameters."""
        return base_media_type(self.media_type)

    @property
    def location(self) -> str | None:
        """The path or the href's path, unquoted, without a trailing ``/``: for extensions."""
        if self.path is not None:
            return str(self.path).rstrip("/\\") or None
        if self.href:
            path = unquote(urlsplit(self.href).path)
            return path.rstrip("/") or None
        return None

    @property
    def is_directory(self) -> bool:
        return self.path is not None and self.path.is_dir()

    @property
    def described_as(self) -> str:
        """The media type for messages: the source's, else its schema's."""
        schema_type = (self.schema or {}).get("contentMediaType")
        return self.media_type or (schema_type if isinstance(schema_type, str) else None) or (
            "no media type")


def base_media_type(media_type: str | None) -> str | None:
    if not media_type:
        return None
    base = media_type.split(";", 1)[0].strip().lower()
    return base or None


def media_type_params(media_type: str | None) -> dict[str, str]:
    """The parameters of a media type (``charset``, ``application``...), keys lower-case."""
    params: dict[str, str] = {}
    for part in (media_type or "").split(";")[1:]:
        key, sep, value = part.partition("=")
        if sep:
            params[key.strip().lower()] = value.strip().strip('"')
    return params


def schema_of(source: Source) -> Mapping[str, Any]:
    return source.schema if isinstance(source.schema, Mapping) else {}

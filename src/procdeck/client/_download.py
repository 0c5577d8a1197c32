"""Streaming a result body to a file or to a size-limited buffer, with progress; the cache.

A linked result is written to ``<cache>/<hash of its URL>/<file name>`` through a
``.part`` file renamed when complete, so an interrupted transfer never leaves a
file that looks whole. The answer's ``ETag`` is kept beside it: the next
request for the same URL sends ``If-None-Match`` and a ``304`` reuses the copy.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import httpx

__all__ = [
    "CACHE_ENV",
    "FileSink",
    "MemorySink",
    "Progress",
    "ProgressLike",
    "cache_root",
    "cache_slot",
    "extension_for",
    "make_progress",
]

CACHE_ENV = "PROCDECK_CACHE_DIR"
"""Environment variable naming the directory linked results are downloaded to."""
AUTO_PROGRESS_BYTES = 8 << 20
"""With ``progress=None``, a bar is shown for bodies larger than this (or of unknown size)."""
_META = ".procdeck-meta.json"

_EXTENSIONS = {
    "text/csv": ".csv",
    "application/csv": ".csv",
    "text/tab-separated-values": ".tsv",
    "application/geo+json": ".geojson",
    "application/vnd.geo+json": ".geojson",
    "application/json": ".json",
    "application/ld+json": ".jsonld",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/markdown": ".md",
    "application/xml": ".xml",
    "text/xml": ".xml",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/svg+xml": ".svg",
    "image/tiff": ".tif",
    "image/tiff; application=geotiff": ".tif",
    "application/x-netcdf": ".nc",
    "application/netcdf": ".nc",
    "application/x-hdf5": ".h5",
    "application/zarr": ".zarr",
    "application/x-zarr": ".zarr",
    "application/vnd.apache.parquet": ".parquet",
    "application/x-parquet": ".parquet",
    "application/zip": ".zip",
    "application/gzip": ".gz",
    "application/pdf": ".pdf",
    "application/octet-stream": ".bin",
}

ProgressLike = bool | Callable[[int, int | None], Any] | None
"""``True``: always a bar; ``None``: a bar for large bodies where someone can see it;
``False``: none; a callable: called with (bytes so far, total bytes or None)."""


def extension_for(media_type: str | None, default: str = ".bin") -> str:
    """A file extension for a media type: ``.csv`` for text/csv, ``.geojson`` for
    application/geo+json, ... (``.txt`` for other text, else ``default``)."""
    media = (media_type or "").lower().strip()
    if not media:
        return default
    if media in _EXTENSIONS:  # with parameters: "image/tiff; application=geotiff"
        return _EXTENSIONS[media]
    kind = media.split(";", 1)[0].strip()
    if kind in _EXTENSIONS:
        return _EXTENSIONS[kind]
    if kind.endswith("+json"):
        return ".json"
    if kind.endswith("+xml"):
        return ".xml"
    guessed = mimetypes.guess_extension(kind, strict=False)
    if guessed:
        return guessed
    return ".txt" if kind.startswith("text/") else default


def cache_root() -> Path:
    """Where linked results are downloaded: ``$PROCDECK_CACHE_DIR``, else the user cache."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "procdeck" / "results"


def file_name_of(href: str, fallback: str = "result") -> str:
    """The last path segment of a URL, made safe as a file name."""
    name = unquote(urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1])
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in name).strip(".")
    return name[:120] or fallback


def cache_slot(root: Path, href: str) -> Path:
    """The directory of one URL's cached copy (named by a hash of the URL)."""
    return root / hashlib.sha256(href.encode()).hexdigest()[:24]


def cached_etag(slot: Path) -> tuple[Path, str] | None:
    """The complete cached file of a slot and its ETag, if there is one."""
    try:
        meta = json.loads((slot / _META).read_text())
        path = slot / meta["file"]
        if path.is_file() and path.stat().st_size == meta["size"] and meta.get("etag"):
            return path, str(meta["etag"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None


class Progress(Protocol):
    """A progress display for one transfer."""

    def update(self, done: int) -> None:
        """``done`` bytes have arrived."""
        ...

    def close(self) -> None:
        """The transfer ended (complete or not)."""
        ...


class _Callback:
    def __init__(self, callback: Callable[[int, int | None], Any], total: int | None) -> None:
        self._callback, self._total = callback, total
        callback(0, total)

    def update(self, done: int) -> None:
        self._callback(done, self._total)

    def close(self) -> None:
        pass


class _Tqdm:
    def __init__(self, total: int | None, label: str) -> None:
        from tqdm.auto import tqdm  # terminals: text; notebooks: an ipywidgets bar

        self._bar = tqdm(total=total, desc=label, unit="B", unit_scale=True, unit_divisor=1024,
                         leave=False)
        self._done = 0

    def update(self, done: int) -> None:
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        self._bar.close()


class _Text:
    """A one-line bar on stderr, when tqdm is not installed."""

    def __init__(self, total: int | None, label: str) -> None:
        self._total, self._label, self._shown = total, label, -1

    def update(self, done: int) -> None:
        mib = done >> 20
        if mib == self._shown:
            return
        self._shown = mib
        of = f" of {self._total / 1048576:.1f}" if self._total else ""
        sys.stderr.write(f"\r{self._label}: {done / 1048576:.1f}{of} MiB")
        sys.stderr.flush()

    def close(self) -> None:
        if self._shown >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _someone_watches() -> bool:
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def make_progress(progress: ProgressLike, total: int | None, label: str) -> Progress | None:
    """The progress display ``progress`` asks for, for a body of ``total`` bytes (or unknown)."""
    if progress is False:
        return None
    if callable(progress) and progress is not True:
        return _Callback(progress, total)
    if progress is None and (
        (total is not None and total <= AUTO_PROGRESS_BYTES) or not _someone_watches()
    ):
        return None
    try:
        return _Tqdm(total, label)
    except ImportError:
        return _Text(total, label)


def _length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


class FileSink:
    """Streams a successful body to ``target`` through ``target.part``; keeps its ETag."""

    def __init__(self, target: Path, *, progress: ProgressLike = None, label: str = "") -> None:
        self.target = target
        self.status: int | None = None
        self.media_type: str | None = None
        self._part = target.with_name(target.name + ".part")
        self._progress_arg = progress
        self._label = label or target.name
        self._file: Any = None
        self._progress: Progress | None = None
        self._done = 0
        self._etag: str | None = None

    def begin(self, response: httpx.Response) -> bool:
        self.status = response.status_code
        if response.status_code != 200:
            return False  # an error, or 304: the cached copy is current
        self.media_type = response.headers.get("content-type")
        self._etag = response.headers.get("etag")
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._file = self._part.open("wb")
        self._progress = make_progress(self._progress_arg, _length(response), self._label)
        return True

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._done += len(chunk)
        if self._progress is not None:
            self._progress.update(self._done)

    def end(self) -> None:
        self._finish()
        if not self.target.suffix and self.media_type:
            # a link named like /results/table: the file gets its kind's extension
            self.target = self.target.with_name(self.target.name + extension_for(self.media_type))
        os.replace(self._part, self.target)
        meta = {"file": self.target.name, "size": self._done, "etag": self._etag,
                "type": self.media_type}
        (self.target.parent / _META).write_text(json.dumps(meta))

    def abort(self) -> None:
        self._finish()
        self._part.unlink(missing_ok=True)

    def _finish(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._progress is not None:
            self._progress.close()
            self._progress = None


class MemorySink:
    """Collects a successful body in memory, refusing one larger than ``max_bytes``."""

    def __init__(self, max_bytes: int | None, too_large: Callable[[int], Exception]) -> None:
        self.max_bytes = max_bytes
        self.status: int | None = None
        self.media_type: str | None = None
        self._too_large = too_large
        self._parts: list[bytes] = []
        self._size = 0

    def begin(self, response: httpx.Response) -> bool:
        self.status = response.status_code
        if not 200 <= response.status_code < 300:
            return False
        self.media_type = response.headers.get("content-type")
        length = _length(response)
        if self.max_bytes is not None and length is not None and length > self.max_bytes:
            raise self._too_large(length)
        return True

    def write(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self.max_bytes is not None and self._size > self.max_bytes:
            raise self._too_large(self._size)
        self._parts.append(chunk)

    def end(self) -> None:
        pass

    def abort(self) -> None:
        self._parts.clear()

    @property
    def data(self) -> bytes:
        """The body."""
        return b"".join(self._parts)

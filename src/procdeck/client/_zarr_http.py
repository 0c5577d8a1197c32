"""A read-only Zarr store over HTTP that fetches through a procdeck client.

Opening a Zarr result over HTTP reads only its metadata (consolidated metadata:
one or two small requests); chunks are fetched when the data is used, each one
by the client (its token, timeouts and retry), so nothing else needs to know how
to reach the server. Imported only when a remote Zarr result is opened: this
module imports zarr.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterable

from zarr.abc.store import (
    ByteRequest,
    OffsetByteRequest,
    RangeByteRequest,
    Store,
    SuffixByteRequest,
)
from zarr.core.buffer import Buffer, BufferPrototype

__all__ = ["Fetch", "HttpZarrStore", "range_header"]

Fetch = Callable[[str, str | None], bytes | None]
"""``fetch(url, range_header_or_None)``: the body, or None when there is no such key (404)."""


def range_header(byte_range: ByteRequest | None) -> str | None:
    """The ``Range`` header of a zarr byte request (its ``end`` is exclusive)."""
    if byte_range is None:
        return None
    if isinstance(byte_range, RangeByteRequest):
        if byte_range.end <= byte_range.start:
            return None
        return f"bytes={byte_range.start}-{byte_range.end - 1}"
    if isinstance(byte_range, OffsetByteRequest):
        return f"bytes={byte_range.offset}-"
    if isinstance(byte_range, SuffixByteRequest):
        return f"bytes=-{byte_range.suffix}"
    raise ValueError(f"unexpected byte range {byte_range!r}")


class HttpZarrStore(Store):
    """The Zarr store at ``url`` (a directory URL), read through ``fetch``.

    ``bytes_read`` and ``requests`` count what was transferred (for benchmarks
    and for showing that opening is lazy).
    """

    def __init__(self, url: str, fetch: Fetch) -> None:
        super().__init__(read_only=True)
        self.url = url.rstrip("/")
        self._fetch = fetch
        self._lock = threading.Lock()
        self.bytes_read = 0
        self.requests = 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HttpZarrStore) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def __repr__(self) -> str:
        return f"HttpZarrStore({self.url!r})"

    def _key_url(self, key: str) -> str:
        return f"{self.url}/{key.lstrip('/')}"

    def _get_sync(self, key: str, byte_range: ByteRequest | None) -> bytes | None:
        header = range_header(byte_range)
        if isinstance(byte_range, RangeByteRequest) and header is None:
            return b""
        body = self._fetch(self._key_url(key), header)
        with self._lock:
            self.requests += 1
            self.bytes_read += len(body or b"")
        return body

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        """The value of ``key`` (or a byte range of it), None when it does not exist."""
        body = await asyncio.to_thread(self._get_sync, key, byte_range)
        return None if body is None else prototype.buffer.from_bytes(body)

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        """Several keys or ranges, fetched concurrently."""
        return list(await asyncio.gather(
            *(self.get(key, prototype, byte_range) for key, byte_range in key_ranges)))

    async def exists(self, key: str) -> bool:
        """Whether ``key`` exists (a GET of its first byte)."""
        body = await asyncio.to_thread(self._get_sync, key, RangeByteRequest(0, 1))
        return body is not None

    @property
    def supports_writes(self) -> bool:
        """No: results are read only."""
        return False

    @property
    def supports_deletes(self) -> bool:
        """No: results are read only."""
        return False

    @property
    def supports_partial_writes(self) -> bool:
        """No: results are read only."""
        return False

    @property
    def supports_listing(self) -> bool:
        """No: plain HTTP cannot list a directory (consolidated metadata is needed)."""
        return False

    async def set(self, key: str, value: Buffer) -> None:
        """Refused: a result store is read only."""
        raise PermissionError(f"{self.url} is a job result: read only")

    async def delete(self, key: str) -> None:
        """Refused: a result store is read only."""
        raise PermissionError(f"{self.url} is a job result: read only")

    async def set_partial_values(self, key_start_values: Iterable[tuple[str, int, bytes]]) -> None:
        """Refused: a result store is read only."""
        raise PermissionError(f"{self.url} is a job result: read only")

    def list(self) -> AsyncIterator[str]:
        """Not possible over plain HTTP."""
        raise NotImplementedError("an HTTP Zarr store cannot be listed")

    def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        """Not possible over plain HTTP."""
        raise NotImplementedError("an HTTP Zarr store cannot be listed")

    def list_dir(self, prefix: str) -> AsyncIterator[str]:
        """Not possible over plain HTTP."""
        raise NotImplementedError("an HTTP Zarr store cannot be listed")

"""Flows that bring a job's outputs to where an opener can read them.

An output arrives as an inline value, a qualified value (``{"value", "mediaType",
"encoding"}``) or a link. Inline and qualified values become a
:class:`~procdeck.results.Source` holding the value or its decoded bytes; a
``file://`` link or a plain path on this machine is opened in place; an
http(s) link is fetched through the client (its token, timeouts, retry) and
streamed to the cache, except where the chosen opener reads it lazily from the
server (Zarr), which then gets a store instead of a download.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import httpx

from procdeck.client._download import (
    FileSink,
    MemorySink,
    ProgressLike,
    cache_root,
    cache_slot,
    cached_etag,
    extension_for,
    file_name_of,
)
from procdeck.client._protocol import Call, Download, Flow
from procdeck.client._responses import raise_for_status
from procdeck.client.errors import ClientError, JobFailedError, NotFoundError
from procdeck.ogc.models import JobStatus

if TYPE_CHECKING:
    from procdeck.client._core import ClientCore
    from procdeck.results import Source

__all__ = [
    "Prepared",
    "download_link",
    "download_result",
    "extension_for",
    "local_path",
    "open_prepared",
    "prepare_results",
    "read_link",
    "source_of",
    "zarr_fetcher",
]

_ANY = "*/*"
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
def _bare(media_type: str | None) -> str | None:
    if not media_type:
        return None
    return media_type.split(";", 1)[0].strip().lower() or None


def local_path(href: str) -> Path | None:
    """The path on this machine of a ``file://`` link or a plain path; None for other URLs."""
    parts = urlsplit(href)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            return None
        return Path(url2pathname(parts.path))
    if _WINDOWS_DRIVE.match(href) or not parts.scheme:
        path = Path(href).expanduser()
        # a path that is not here is taken for a URL relative to the server
        return path if path.exists() else None
    return None


def _open_error(message: str, **details: Any) -> ClientError:
    from procdeck.results import ResultOpenError

    return ResultOpenError(message, **details)


def _too_large(href: str, limit: int) -> Any:
    def error(size: int) -> ClientError:
        from procdeck.results import ResultTooLargeError

        return ResultTooLargeError(
            f"{href} is larger than {limit} bytes (at least {size}); download it instead",
            limit=limit, size=size, url=href,
        )
    return error


def read_link(core: ClientCore, href: str, max_bytes: int | None = None
              ) -> Flow[tuple[bytes, str | None]]:
    """The body of a link and its media type, at most ``max_bytes`` (ResultOpenError beyond)."""
    path = local_path(href)
    if path is not None:
        try:
            size = path.stat().st_size
            if max_bytes is not None and size > max_bytes:
                raise _too_large(href, max_bytes)(size)
            return path.read_bytes(), None
        except OSError as exc:
            raise _open_error(f"cannot read {path}: {exc.strerror or exc}", url=href) from None
    call = core.call("GET", href, headers={"Accept": _ANY})
    sink = MemorySink(max_bytes, _too_large(href, max_bytes or 0))
    response = yield Download(call, sink)
    raise_for_status(call, response)
    return sink.data, _bare(sink.media_type)


def download_link(
    core: ClientCore, href: str, *, directory: Path | None = None,
    progress: ProgressLike = None, label: str = "",
) -> Flow[tuple[Path, str | None]]:
    """Stream an http(s) link to ``directory`` (default: the cache); the file and its type.

    In the cache, a copy whose ETag the server still answers with (``304``) is reused.
    """
    headers = {"Accept": _ANY}
    cached = None
    if directory is None:
        slot = cache_slot(cache_root(), href)
        target = slot / file_name_of(href)
        cached = cached_etag(slot)
        if cached is not None:
            headers["If-None-Match"] = cached[1]
    else:
        target = directory / file_name_of(href)
    sink = FileSink(target, progress=progress, label=label or target.name)
    call = core.call("GET", href, headers=headers)
    response = yield Download(call, sink)
    if response.status_code == 304 and cached is not None:
        kind = _bare(json.loads((cached[0].parent / ".procdeck-meta.json").read_text()).get("type"))
        return cached[0], kind
    raise_for_status(call, response)
    return sink.target, _bare(sink.media_type)


@dataclass(frozen=True)
class Prepared:
    """One output ready for an opener: its source, and whether it is opened from the server."""

    source: Source
    remote: bool = False
    """True: an http(s) Zarr link that the opener reads lazily (give it a store)."""


def _decoded(output: str, entry: Mapping[str, Any]) -> tuple[Any, bytes | None, bool]:
    """(value, bytes, has_value) of a qualified value."""
    value = entry.get("value")
    encoding = str(entry.get("encoding") or entry.get("contentEncoding") or "").lower()
    if encoding == "base64" and isinstance(value, str):
        try:
            return None, base64.b64decode(value, validate=True), False
        except (binascii.Error, ValueError):
            raise _open_error(f"output {output!r}: its base64 value does not decode",
                              output=output, media_type=entry.get("mediaType")) from None
    if isinstance(value, str):
        return value, value.encode("utf-8"), True
    return value, None, True


def _output_schemas(description: Any) -> dict[str, Mapping[str, Any]]:
    if description is None:
        return {}
    return {name: out.full_schema() for name, out in description.outputs.items()}


def _specific(media_type: str | None, schema: Mapping[str, Any] | None) -> str | None:
    """The schema's ``contentMediaType`` where a server labelled a JSON value only as JSON
    (``application/geo+json`` says more than ``application/json``)."""
    declared = schema.get("contentMediaType") if isinstance(schema, Mapping) else None
    if _bare(media_type) == "application/json" and isinstance(declared, str) \
            and _bare(declared) != "application/json" and (_bare(declared) or "").endswith("+json"):
        return declared
    return media_type


def source_of(output: str, entry: Any, schema: Mapping[str, Any] | None) -> Source:
    """The :class:`~procdeck.results.Source` of one results-document entry."""
    from procdeck.results import Source

    if isinstance(entry, Mapping) and isinstance(entry.get("href"), str):
        href = entry["href"]
        return Source(output, href=href, path=local_path(href), media_type=entry.get("type"),
                      schema=schema)
    if isinstance(entry, Mapping) and "value" in entry and (
        "mediaType" in entry or "encoding" in entry or set(entry) <= {"value", "schema"}
    ):
        value, data, has_value = _decoded(output, entry)
        return Source(output, value=value, has_value=has_value, data=data,
                      media_type=_specific(entry.get("mediaType"), schema), schema=schema)
    return Source(output, value=entry, has_value=True, schema=schema)


def _absolute(core: ClientCore, source: Source) -> Source:
    """A link relative to the server made absolute (a file here stays as it is)."""
    href = source.href
    if href is None or source.path is not None or urlsplit(href).scheme:
        return source
    return replace(source, href=urljoin(core.url(), href))


def _is_remote(href: str | None) -> bool:
    return bool(href) and urlsplit(href or "").scheme in ("http", "https")


def prepare_results(
    core: ClientCore, job_id: str, output: str | None, *, as_: str | None, wait: bool,
    timeout: float | None, progress: ProgressLike = None,
) -> Flow[dict[str, Prepared]]:
    """Wait for the job (if asked), fetch its results and bring each chosen output close."""
    from procdeck.results import choose_opener

    if wait:
        job = yield from core.wait_for_job(job_id, timeout)
        if job.status != JobStatus.SUCCESSFUL:
            reason = f": {job.message}" if job.message else ""
            raise JobFailedError(f"job {job_id} ended {job.status}{reason}", job=job,
                                 url=core.url("jobs", job_id))
    else:
        job = yield from core.get_job(job_id)
    results = yield from core.get_job_results(job_id)
    description = None
    if job.processID:
        try:
            description = yield from core.get_process(job.processID)
        except (NotFoundError, ClientError):
            description = None  # openers then choose without the output schemas
    schemas = _output_schemas(description)
    if output is not None and output not in results:
        known = ", ".join(sorted(results)) or "none"
        raise _open_error(f"job {job_id} has no output {output!r} (its outputs: {known})",
                          output=output)
    names = [output] if output is not None else list(results)
    prepared: dict[str, Prepared] = {}
    for name in names:
        source = _absolute(core, source_of(name, results[name], schemas.get(name)))
        if _is_remote(source.href):
            opener = choose_opener(source, as_, sniff=False)
            if opener is not None and opener.remote:
                prepared[name] = Prepared(source, remote=True)
                continue
            path, kind = yield from download_link(
                core, str(source.href), progress=progress, label=f"{job_id} {name}")
            source = replace(source, path=path, media_type=source.media_type or kind)
        prepared[name] = Prepared(source)
    return prepared


def download_result(
    core: ClientCore, job_id: str, output: str | None, directory: Path, *,
    progress: ProgressLike = None,
) -> Flow[dict[str, Path]]:
    """Write outputs as files into ``directory``: links streamed, values in their media type."""
    results = yield from core.get_job_results(job_id)
    if output is not None and output not in results:
        known = ", ".join(sorted(results)) or "none"
        raise _open_error(f"job {job_id} has no output {output!r} (its outputs: {known})",
                          output=output)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name in [output] if output is not None else list(results):
        source = _absolute(core, source_of(name, results[name], None))
        if source.href is not None and _is_remote(source.href):
            if _bare(source.media_type) in ("application/zarr", "application/vnd+zarr",
                                            "application/x-zarr") \
                    or source.href.rstrip("/").endswith(".zarr"):
                raise _open_error(
                    f"output {name!r} is a Zarr store (a directory), not one file: open it "
                    f"with client.open_job_result({job_id!r}, {name!r})",
                    output=name, media_type=source.media_type)
            path, _ = yield from download_link(core, source.href, directory=directory,
                                               progress=progress, label=f"{job_id} {name}")
        elif source.path is not None:
            path = directory / source.path.name
            _copy(source.path, path, name)
        else:
            path = directory / f"{job_id}_{name}{_extension_of(source)}"
            path.write_bytes(_bytes_of(source))
        written[name] = path
    return written


def _extension_of(source: Source) -> str:
    if source.media_type:
        return extension_for(source.media_type)
    return ".txt" if isinstance(source.value, str) else ".json"


def _bytes_of(source: Source) -> bytes:
    if source.data is not None:
        return source.data
    return json.dumps(source.value, indent=2).encode("utf-8")


def _copy(origin: Path, target: Path, output: str) -> None:
    import shutil

    try:
        if origin.is_dir():
            shutil.copytree(origin, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(origin, target)
    except OSError as exc:
        raise _open_error(f"output {output!r}: cannot copy {origin}: {exc.strerror or exc}",
                          output=output) from None


def zarr_fetcher(core: ClientCore, send: Callable[[Call], httpx.Response]) -> Callable[
        [str, str | None], bytes | None]:
    """The ``fetch`` of an :class:`~procdeck.client._zarr_http.HttpZarrStore`: blocking
    GETs through ``send`` (a client's own), None for a key the server does not have."""
    def fetch(url: str, byte_range: str | None) -> bytes | None:
        headers = {"Accept": _ANY}
        if byte_range:
            headers["Range"] = byte_range
        call = core.call("GET", url, headers=headers)
        response = send(call)
        if response.status_code == 404:
            return None
        if response.status_code == 416:  # a range beyond the end: nothing there
            return b""
        raise_for_status(call, response)
        return response.content
    return fetch


def open_prepared(
    prepared: Mapping[str, Prepared], output: str | None, as_: str | None,
    fetch: Callable[[str, str | None], bytes | None],
) -> Any:
    """Open each prepared output (remote Zarr through a store on ``fetch``): one object when
    one output was asked for or the job has only one, else a dict by output id."""
    from procdeck.results import open_source

    opened: dict[str, Any] = {}
    for name, item in prepared.items():
        source = item.source
        if item.remote:
            from procdeck.client._zarr_http import HttpZarrStore

            source = replace(source, store=HttpZarrStore(str(source.href), fetch))
        opened[name] = open_source(source, as_)
    if output is not None or len(opened) == 1:
        return next(iter(opened.values()))
    return opened

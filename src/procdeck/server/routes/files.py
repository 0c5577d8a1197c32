"""``/jobs/{jobId}/files/{path}`` (GET, HEAD; procdeck's own): the files a job wrote.

A process writes below its job's directory (``JobContext.job_dir``) and links
there with ``JobContext.file_link``; this route serves those files streamed
from disk (never read whole into memory), with ``Content-Length``, ``ETag``,
``Last-Modified`` and byte ``Range`` requests (206), so a client can read a
Zarr store or a NetCDF file lazily, and ``If-None-Match`` (304) so a
client's cached copy is reused. What is not a regular file below the job's
directory (``..``, absolute paths, symlinks out, directories, missing files)
is a 404 problem, the same one for every reason.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable

from procdeck.server.errors import ProblemError
from procdeck.server.files import job_file, media_type_of
from procdeck.server.routes._responses import job_or_404, problem
from procdeck.server.state import state_of

router = APIRouter(tags=["Jobs"])

FILE_PATH = "/jobs/{jobId}/files/{path:path}"
_FILE_CONTENT = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
_RESPONSES: dict[int | str, dict] = {
    200: {"description": "The file, in the media type its name says (`.csv` `text/csv`, "
                         "`.png` `image/png`, Zarr metadata `application/json`, ...; "
                         "anything else `application/octet-stream`)",
          "content": _FILE_CONTENT},
    206: {"description": "The byte range a `Range` header asked for", "content": _FILE_CONTENT},
    304: {"description": "The file is the one `If-None-Match` names: no body"},
    400: problem("A malformed `Range` header"),
    404: problem("No such job, or no such file below the job's directory"),
    416: problem("A `Range` outside the file"),
}
_ENCODED_SEPARATORS = (b"%2f", b"%5c")


def _no_such_file(job_id: str, path: str) -> ProblemError:
    shown = path if len(path) <= 200 else path[:200] + "..."
    return ProblemError(404, "No such file", f"Job {job_id} has no file {shown!r}")


async def _file_response(job_id: str, path: str, request: Request) -> Response:
    state = state_of(request)
    job = job_or_404(state, job_id)
    # An encoded slash or backslash would name the same file two ways: refused, not decoded.
    raw_path = request.scope.get("raw_path") or b""
    if any(separator in raw_path.lower() for separator in _ENCODED_SEPARATORS):
        raise _no_such_file(job.id, path)
    real: Path | None = await run_in_threadpool(job_file, state.manager.data_dir, job.id, path)
    if real is None:
        raise _no_such_file(job.id, path)
    stat = await run_in_threadpool(real.stat)
    requested = request.headers.get("range")
    if requested is not None:
        _check_range(requested, stat.st_size)
    # Served from the resolved path: what was checked is what is sent.
    response = FileResponse(real, media_type=media_type_of(real.name), stat_result=stat)
    if _not_modified(request.headers.get("if-none-match"), response.headers.get("etag")):
        # the client's cached copy is this file (RFC 9110 section 13.1.2): no body
        kept = {name: response.headers[name] for name in ("etag", "last-modified")
                if name in response.headers}
        return Response(status_code=304, headers=kept)
    return response


def _not_modified(if_none_match: str | None, etag: str | None) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison) or is ``*``."""
    if not if_none_match or not etag:
        return False
    if if_none_match.strip() == "*":
        return True
    def bare(tag: str) -> str:
        return tag.strip().removeprefix("W/")
    return bare(etag) in {bare(tag) for tag in if_none_match.split(",")}


def _check_range(requested: str, size: int) -> None:
    """Answer a bad ``Range`` as a problem (Starlette would answer it as plain text)."""
    try:
        FileResponse._parse_range_header(requested, size)
    except MalformedRangeHeader as exc:
        raise ProblemError(400, "Invalid Range", f"Range {requested[:100]!r}: {exc.content}") \
            from exc
    except RangeNotSatisfiable as exc:
        raise ProblemError(416, "Range not satisfiable",
                           f"Range {requested[:100]!r} is outside the file ({size} bytes)",
                           headers={"Content-Range": f"bytes */{size}"}) from exc


@router.get(FILE_PATH, name="get_job_file", summary="A file of a job", response_model=None,
            responses=_RESPONSES)
async def get_job_file(jobId: str, path: str, request: Request) -> Response:
    """A file the job wrote below its directory, e.g. ``table.csv`` or ``cube.zarr/zarr.json``.

    Not part of OGC API - Processes: where the links of ``JobContext.file_link``
    point. Streams the file; ``Range: bytes=...`` reads part of it (206).
    Removed with the job (``DELETE`` of a finished job).
    """
    return await _file_response(jobId, path, request)


@router.head(FILE_PATH, name="head_job_file", summary="Size and type of a file of a job",
             response_model=None, responses=_RESPONSES)
async def head_job_file(jobId: str, path: str, request: Request) -> Response:
    """The headers ``GET`` would answer with (``Content-Length``, ``Content-Type``, ``ETag``)."""
    return await _file_response(jobId, path, request)

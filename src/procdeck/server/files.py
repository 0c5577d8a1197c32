"""The files a job writes: where they live, how a URL names them, what media type they have.

Every job has a directory of its own, ``<data dir>/<job id>``
(:meth:`JobContext.job_dir <procdeck.server.context.JobContext.job_dir>`).
``GET /jobs/{jobId}/files/{path}`` serves the regular files below it; a
process links to them with :meth:`JobContext.file_link
<procdeck.server.context.JobContext.file_link>`, and they are removed with the
job (``DELETE`` of a finished job).

:func:`job_file` is the only way from a URL's path to a file: it refuses
(returns None) anything that is not a regular file strictly below the job's
directory once symlinks and ``..`` are resolved.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from procdeck.server.paths import is_job_id

__all__ = [
    "FILE_MEDIA_TYPES",
    "MEDIA_OCTET_STREAM",
    "MEDIA_ZARR",
    "file_url",
    "job_dir",
    "job_file",
    "media_type_of",
    "remove_job_files",
]

MEDIA_OCTET_STREAM = "application/octet-stream"
MEDIA_ZARR = "application/zarr"
"""A Zarr store (a directory): not registered, but what procdeck and its peers send."""

FILE_MEDIA_TYPES: dict[str, str] = {
    ".csv": "text/csv",
    ".geojson": "application/geo+json",
    ".json": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".nc": "application/x-netcdf",
    ".parquet": "application/vnd.apache.parquet",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".txt": "text/plain",
}
"""Media types by file name extension (lower case); anything else is octet-stream.

A table of our own rather than :mod:`mimetypes`, whose answers depend on the
host's ``/etc/mime.types``."""

_ZARR_METADATA = frozenset({".zmetadata", ".zarray", ".zattrs", ".zgroup", "zarr.json"})
"""Zarr metadata documents (format 2 and 3): JSON, whatever their names say."""


def media_type_of(path: str | PurePosixPath | Path, *, is_dir: bool = False) -> str:
    """The media type of a job file by its name; ``is_dir``: a directory (a ``.zarr`` store)."""
    name = PurePosixPath(str(path)).name
    suffix = PurePosixPath(name).suffix.lower()
    if is_dir:
        return MEDIA_ZARR if suffix == ".zarr" else MEDIA_OCTET_STREAM
    if name in _ZARR_METADATA:
        return "application/json"
    return FILE_MEDIA_TYPES.get(suffix, MEDIA_OCTET_STREAM)


def job_dir(data_dir: Path, job_id: str) -> Path:
    """The directory of a job's files (it may not exist yet)."""
    if not is_job_id(job_id) and job_id != "local":
        raise ValueError(f"not a job id: {job_id!r}")
    return data_dir / job_id


def job_file(data_dir: Path, job_id: str, path: str) -> Path | None:
    """The real path of the regular file ``path`` names below the job's directory, or None.

    ``path`` is the decoded path of the URL: relative, ``/``-separated. None
    for a job id of the wrong shape, an absolute path, a ``..`` or ``.``
    segment, a backslash or NUL, a directory, a missing file, or anything that
    resolves (through symlinks) outside the job's directory.
    """
    if not is_job_id(job_id) or not path or "\x00" in path or "\\" in path:
        return None
    relative = PurePosixPath(path)
    if relative.is_absolute() or any(part in ("..", ".") for part in path.split("/")):
        return None
    try:
        root = (data_dir / job_id).resolve()
        real = (root / relative).resolve()
        if real == root or not real.is_relative_to(root) or not real.is_file():
            return None
    except (OSError, ValueError, RuntimeError):  # too long, a symlink loop...
        return None
    return real


def file_url(base_url: str, job_id: str, relative: PurePosixPath) -> str:
    """The absolute URL of a job file: ``<base>/jobs/<job id>/files/<path, quoted>``."""
    quoted = "/".join(quote(part, safe="") for part in relative.parts)
    return f"{base_url.rstrip('/')}/jobs/{job_id}/files/{quoted}"


def remove_job_files(data_dir: Path, job_id: str) -> None:
    """Remove the job's directory and everything in it (nothing to do if there is none)."""
    if not is_job_id(job_id):
        return
    directory = data_dir / job_id
    if directory.is_symlink():  # never follow a link out of the data directory
        directory.unlink(missing_ok=True)
        return
    shutil.rmtree(directory, ignore_errors=True)

"""The job context a process function may ask for.

A parameter annotated with :class:`JobContext` is not an input: the server
passes the running job's context there. Through it a function reports progress
and a message, notices that the job was dismissed, and links to the files it
wrote in its own directory (:attr:`JobContext.job_dir`, served at
``/jobs/{jobId}/files/{path}``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from procdeck.server.files import file_url, media_type_of
from procdeck.server.paths import PathPolicy

__all__ = ["JobContext", "JobDismissed"]


class JobDismissed(Exception):
    """Raised inside a process function when its job was dismissed: the job stops."""


class JobContext:
    """What a running process function knows about its job.

    ``report()`` updates the job's progress (0..100) and message; it raises
    :class:`JobDismissed` when the job was dismissed, so a function that
    reports regularly stops by itself. Long loops that do not report can
    check :attr:`dismissed` or call :meth:`check_dismissed`.
    """

    __slots__ = ("_is_dismissed", "_on_report", "allowed_dirs", "base_url", "data_dir", "job_id")

    def __init__(
        self,
        job_id: str,
        data_dir: Path,
        on_report: Callable[[float | None, str | None], bool | None] | None = None,
        is_dismissed: Callable[[], bool] | None = None,
        allowed_dirs: Sequence[Path] = (),
        base_url: str = "",
    ) -> None:
        self.job_id = job_id
        """The id of the running job, e.g. ``job_7``."""
        self.data_dir = data_dir
        """The server's data directory: write result files below it."""
        self.allowed_dirs = tuple(allowed_dirs)
        """Directories besides the data directory the operator lets processes write to."""
        self.base_url = base_url.rstrip("/")
        """The server's base URL as the execute request reached it (``""``: unknown)."""
        self._on_report = on_report
        self._is_dismissed = is_dismissed

    @classmethod
    def detached(cls, data_dir: str | Path = ".") -> JobContext:
        """A context for calling a process function outside the server (reports go nowhere)."""
        return cls("local", Path(data_dir))

    @property
    def job_dir(self) -> Path:
        """The job's own directory, ``data_dir/job_id`` (created on first use).

        The server serves the files below it at ``/jobs/{jobId}/files/{path}``
        (link to them with :meth:`file_link`) and removes them with the job.
        """
        directory = self.data_dir / self.job_id
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def file_link(
        self, path: str | Path, media_type: str | None = None, title: str | None = None
    ) -> dict[str, Any]:
        """A link object for a file (or a Zarr directory) the process wrote below :attr:`job_dir`.

        ``path`` is relative to :attr:`job_dir` (or absolute inside it). The
        link's ``href`` is absolute, ``<server>/jobs/<jobId>/files/<path>``;
        ``type`` is ``media_type``, or guessed from the name (``.csv``
        ``text/csv``, ``.png`` ``image/png``, a ``.zarr`` directory
        ``application/zarr``, ...; see :mod:`procdeck.server.files`); ``rel``
        is ``enclosure``. Raises ``ValueError`` for a path outside the job's
        directory. Return the link as an output's value.
        """
        root = self.job_dir.resolve()
        candidate = Path(path)
        real = (candidate if candidate.is_absolute() else root / candidate).resolve()
        if real == root or not real.is_relative_to(root):
            raise ValueError(f"{str(path)!r} is not below the job's directory {root}")
        relative = PurePosixPath(real.relative_to(root).as_posix())
        href = file_url(self.base_url, self.job_id, relative)
        if not self.base_url:  # outside a server (detached): still a usable reference
            href = real.as_uri()
        link: dict[str, Any] = {
            "href": href,
            "rel": "enclosure",
            "type": media_type or media_type_of(relative, is_dir=real.is_dir()),
        }
        if title is not None:
            link["title"] = title
        return link

    def writable_path(self, path: str | Path) -> Path:
        """The real path to write ``path`` to, if the server lets processes write there.

        Relative paths are below :attr:`data_dir`; ``file://`` URIs are read as
        paths. Raises :class:`~procdeck.server.paths.PathNotAllowed` (a
        ``ValueError``) for a path outside the data directory and the
        directories the operator allowed (``procdeck serve --allow-path``).
        """
        return PathPolicy.create(self.data_dir, self.allowed_dirs).resolve(path)

    @property
    def dismissed(self) -> bool:
        """True once the job was dismissed."""
        return self._is_dismissed is not None and self._is_dismissed()

    def check_dismissed(self) -> None:
        """Raise :class:`JobDismissed` if the job was dismissed."""
        if self.dismissed:
            raise JobDismissed(self.job_id)

    def report(self, progress: float | None = None, message: str | None = None) -> None:
        """Report progress (percent, 0..100) and/or a message; stop if dismissed."""
        self.check_dismissed()
        if (
            self._on_report is not None
            and (progress is not None or message is not None)
            and self._on_report(progress, message) is False  # the job stopped meanwhile
        ):
            raise JobDismissed(self.job_id)

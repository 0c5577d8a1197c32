"""The job context a process function may ask for.

A parameter annotated with :class:`JobContext` is not an input: the server
passes the running job's context there. Through it a function reports progress
and a message, and notices that the job was dismissed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

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

    __slots__ = ("_is_dismissed", "_on_report", "allowed_dirs", "data_dir", "job_id")

    def __init__(
        self,
        job_id: str,
        data_dir: Path,
        on_report: Callable[[float | None, str | None], bool | None] | None = None,
        is_dismissed: Callable[[], bool] | None = None,
        allowed_dirs: Sequence[Path] = (),
    ) -> None:
        self.job_id = job_id
        """The id of the running job, e.g. ``job_7``."""
        self.data_dir = data_dir
        """The server's data directory: write result files below it."""
        self.allowed_dirs = tuple(allowed_dirs)
        """Directories besides the data directory the operator lets processes write to."""
        self._on_report = on_report
        self._is_dismissed = is_dismissed

    @classmethod
    def detached(cls, data_dir: str | Path = ".") -> JobContext:
        """A context for calling a process function outside the server (reports go nowhere)."""
        return cls("local", Path(data_dir))

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

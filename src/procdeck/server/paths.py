"""Safe file paths: what a process may write, and what a job id may look like.

A process that writes files (``simulate_scene``'s ``output_path``) asks a
:class:`PathPolicy` for the real path: relative paths are taken below the
server's data directory, ``file://`` URIs are accepted, and the result (with
symlinks and ``..`` resolved) must lie inside the data directory or a directory
the operator allowed (``procdeck serve --allow-path DIR``). Job ids come from
clients in URLs: :func:`is_job_id` says whether a text has the server's shape
(``job_<number>``) before it goes anywhere near a path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["JOB_ID_PATTERN", "PathNotAllowed", "PathPolicy", "is_job_id"]

JOB_ID_PATTERN = re.compile(r"job_(?:0|[1-9][0-9]{0,17})")
"""The shape of every job id this server hands out."""


def is_job_id(text: str) -> bool:
    """True when ``text`` is a job id of this server's shape (``job_0``, ``job_17``, ...)."""
    return JOB_ID_PATTERN.fullmatch(text) is not None


class PathNotAllowed(ValueError):
    """A path outside every directory a process may write to, or not a local path at all."""


@dataclass(frozen=True)
class PathPolicy:
    """Where processes may write: the data directory and the operator's extra directories."""

    data_dir: Path
    allowed: tuple[Path, ...] = ()

    @classmethod
    def create(cls, data_dir: str | Path, allowed: Iterable[str | Path] = ()) -> PathPolicy:
        """A policy with every directory made absolute and resolved (symlinks followed)."""
        return cls(
            Path(data_dir).expanduser().resolve(),
            tuple(Path(p).expanduser().resolve() for p in allowed),
        )

    @property
    def roots(self) -> tuple[Path, ...]:
        """Every directory writes may go below: the data directory first."""
        return (self.data_dir, *self.allowed)

    def resolve(self, path: str | Path) -> Path:
        """The real absolute path for ``path`` (strictly below a root), or :class:`PathNotAllowed`.

        Relative paths are below the data directory. ``file://`` URIs are
        read as paths; other URI schemes are refused (only local files are
        written here).
        """
        text = str(path)
        if "\x00" in text:
            raise PathNotAllowed("a path must not contain NUL characters")
        if not text.strip():
            raise PathNotAllowed("the path is empty")
        if "://" in text:
            parts = urlsplit(text)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise PathNotAllowed(
                    f"only local paths or file:// URIs can be written, not {_shown(text)}"
                )
            text = unquote(parts.path)
        candidate = Path(text).expanduser()
        if not candidate.is_absolute():
            candidate = self.data_dir / candidate
        real = candidate.resolve()  # follows symlinks: a link out of the data dir is caught
        for root in self.roots:
            # Strictly below: writing "the data directory itself" could wipe it.
            if real != root and real.is_relative_to(root):
                return real
        where = ", ".join(str(root) for root in self.roots)
        raise PathNotAllowed(
            f"{_shown(str(path))} is outside the directories this server may write to "
            f"({where}); the operator can allow more with --allow-path"
        )

    def contains(self, path: str | Path) -> bool:
        """True when ``path`` resolves inside an allowed directory."""
        try:
            self.resolve(path)
        except PathNotAllowed:
            return False
        return True


def _shown(text: str, limit: int = 200) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")

"""Following jobs across polls: :class:`JobFeed` (the state) and :class:`JobSnapshot`.

A feed remembers what one poller learnt about a server between calls of
``client.poll_jobs(feed)``: whether the server lists jobs (``mode``:
``"list"``) or not (``"tracked"``: the jobs named with :meth:`JobFeed.follow`
are asked for one by one), the page size it accepts, its conformance classes
(read once, when needed) and the last status of each followed job. The feed
sends nothing itself and imports no HTTP library; the flow that uses it is
:func:`procdeck.client._polling.poll_jobs`, the same for both clients. Safe to
call :meth:`JobFeed.follow` from another thread while a poll runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from procdeck.ogc.models import JobInfo

__all__ = ["DEFAULT_PAGE_LIMIT", "REPROBE_SECONDS", "FeedMode", "JobFeed", "JobSnapshot"]

FeedMode = Literal["list", "tracked"]

DEFAULT_PAGE_LIMIT = 10_000
"""The page size asked of ``GET /jobs`` so one request brings every job; a server that
refuses it (400/422) is asked again without one, and paged by the client."""

REPROBE_SECONDS = 60.0
"""How long a feed in ``tracked`` mode waits before trying ``GET /jobs`` again."""


@dataclass(frozen=True, slots=True)
class JobSnapshot:
    """What one ``poll_jobs`` call saw.

    ``jobs``: job id -> status, in the server's order. ``complete``: the listing
    has every job (list mode and no ``next`` link left), so a job missing from it
    is gone; otherwise only ``jobs`` were seen and ``gone`` names the followed
    jobs the server no longer knows (404). ``mode``: how the jobs were read.
    """

    jobs: dict[str, JobInfo] = field(default_factory=dict)
    complete: bool = False
    gone: frozenset[str] = frozenset()
    mode: FeedMode = "list"


class JobFeed:
    """The state of following a server's jobs across ``client.poll_jobs(feed)`` calls.

    ``page_limit``: the page size asked of ``GET /jobs`` (None: the server's);
    set to None by a poll when the server refuses it. ``reprobe_seconds`` and
    ``clock`` (monotonic seconds) decide when a feed in ``tracked`` mode tries
    the job list again; tests pass a fake clock.

    >>> feed = JobFeed()
    >>> feed.follow("job-1")
    >>> feed.mode, feed.followed
    ('list', ('job-1',))
    """

    def __init__(
        self,
        page_limit: int | None = DEFAULT_PAGE_LIMIT,
        *,
        reprobe_seconds: float = REPROBE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if page_limit is not None and page_limit < 1:
            raise ValueError("page_limit must be >= 1 (or None for the server's page size)")
        self.page_limit = page_limit
        self.reprobe_seconds = reprobe_seconds
        self.conformance: tuple[str, ...] | None = None
        """The server's conformance classes, once a poll needed them (else None)."""
        self._clock = clock
        self._mode: FeedMode = "list"
        self._tracked_since: float | None = None
        self._lock = threading.Lock()
        self._followed: dict[str, JobInfo | None] = {}  # job id -> last status seen

    # -- what callers use -------------------------------------------------------------------

    @property
    def mode(self) -> FeedMode:
        """``"list"``: one ``GET /jobs`` per poll; ``"tracked"``: the server lists no jobs,
        so the followed ones are asked for one by one."""
        return self._mode

    @property
    def followed(self) -> tuple[str, ...]:
        """The ids of the jobs followed, in the order :meth:`follow` named them."""
        with self._lock:
            return tuple(self._followed)

    def follow(self, job_id: str, info: JobInfo | None = None) -> None:
        """Follow a job (one this session started); ``info``: its status, if known."""
        with self._lock:
            if info is not None or job_id not in self._followed:
                self._followed[job_id] = info

    def seen(self, jobs: Iterable[JobInfo]) -> None:
        """Record the current status of followed jobs learnt elsewhere (e.g. a dismissal)."""
        with self._lock:
            for info in jobs:
                if info.jobID in self._followed:
                    self._followed[info.jobID] = info

    def status_of(self, job_id: str) -> JobInfo | None:
        """The last status seen of a followed job (None: unknown or gone)."""
        with self._lock:
            return self._followed.get(job_id)

    # -- what the poll flow uses ------------------------------------------------------------

    def pending(self) -> list[str]:
        """The followed jobs not known to be final: the ones a tracked poll asks for."""
        with self._lock:
            return [job_id for job_id, info in self._followed.items()
                    if info is None or not info.is_final]

    def probe_due(self) -> bool:
        """True in ``tracked`` mode once ``reprobe_seconds`` have passed since the last probe."""
        since = self._tracked_since
        return since is not None and self._clock() - since > self.reprobe_seconds

    def listed(self, jobs: Sequence[JobInfo]) -> None:
        """A job list was read: list mode, and the statuses of followed jobs in it recorded."""
        self._mode = "list"
        self._tracked_since = None
        self.seen(jobs)

    def no_job_list(self) -> None:
        """The server serves no job list (now): tracked mode, probed again later."""
        self._mode = "tracked"
        self._tracked_since = self._clock()

    def forget_status(self, job_id: str) -> None:
        """The server does not know the job (404): still followed, its status unknown."""
        with self._lock:
            if job_id in self._followed:
                self._followed[job_id] = None

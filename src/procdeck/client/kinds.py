"""What the app and other callers need of a client: :class:`AnyClient`.

Both :class:`~procdeck.client.Client` and :class:`~procdeck.client.AsyncClient`
satisfy it: the sync client's methods return the documents, the async client's
return awaitables of them. Code that accepts either (the app, the job poller)
types its client with this protocol and calls it through one helper that runs
sync calls off the event loop (:func:`procdeck.gui.runtime.call_client`).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol, TypeVar

from procdeck.client.config import ClientConfig
from procdeck.client.feed import JobFeed, JobSnapshot
from procdeck.ogc.models import (
    ConformanceDeclaration,
    JobInfo,
    JobList,
    JobResults,
    LandingPage,
    ProcessDescription,
    ProcessList,
)

__all__ = ["AnyClient", "Maybe"]

T = TypeVar("T")
Maybe = T | Awaitable[T]
"""A value, or an awaitable of it (the sync client's answer, or the async one's)."""


class AnyClient(Protocol):
    """The calls the app makes; :class:`~procdeck.client.Client` and
    :class:`~procdeck.client.AsyncClient` both provide them."""

    @property
    def config(self) -> ClientConfig:
        """The resolved settings (server URL, token, user name)."""

    @property
    def server_url(self) -> str:
        """The server's base URL."""

    def get_capabilities(self) -> Maybe[LandingPage]:
        """``GET /``."""

    def get_conformance(self) -> Maybe[ConformanceDeclaration]:
        """``GET /conformance``."""

    def get_processes(self, limit: int | None = None) -> Maybe[ProcessList]:
        """``GET /processes``, every page."""

    def process_titles(self) -> Maybe[dict[str, str]]:
        """Process id -> title, every page of ``GET /processes``."""

    def get_process(self, process_id: str) -> Maybe[ProcessDescription]:
        """``GET /processes/{id}``."""

    def execute_process(
        self, process_id: str, request: Any = None, mode: Any = "async", *, subscriber: Any = None
    ) -> Maybe[JobInfo]:
        """``POST /processes/{id}/execution``; ``mode`` is ``"async"`` or ``"sync"``."""

    def get_jobs(self, process_id: Any = None, status: Any = None,
                 limit: int | None = None) -> Maybe[JobList]:
        """``GET /jobs``, every page."""

    def poll_jobs(self, feed: JobFeed) -> Maybe[JobSnapshot]:
        """One poll for ``feed``: ``GET /jobs``, or each followed job when there is no list."""

    def get_job(self, job_id: str) -> Maybe[JobInfo]:
        """``GET /jobs/{id}``."""

    def get_job_results(self, job_id: str) -> Maybe[JobResults]:
        """``GET /jobs/{id}/results``."""

    def dismiss_job(self, job_id: str) -> Maybe[JobInfo]:
        """``DELETE /jobs/{id}``."""

    def read_link(self, href: str, *, max_bytes: int | None = None
                  ) -> Maybe[tuple[bytes, str | None]]:
        """The body of a result link (through the client) and its media type."""

    def open_job_result(self, job_id: str, output: str | None = None, *, as_: str | None = None,
                        wait: bool = True, timeout: float | None = None) -> Maybe[Any]:
        """A job's output opened as the object to work with (see :mod:`procdeck.results`)."""

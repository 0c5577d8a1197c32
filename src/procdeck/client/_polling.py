"""One poll of a server's jobs for a :class:`~procdeck.client.feed.JobFeed`, as a flow.

- List mode: one ``GET /jobs?limit=<feed.page_limit>`` (the client follows the
  pages). A 400/422 answer to the page size: asked again without one (the
  feed keeps that). 404, 405 or 501, or another 4xx from a server whose
  conformance lacks ``job-list``: the server lists no jobs, the feed turns to
  tracked mode.
- Tracked mode: ``GET /jobs/{id}`` for each followed job not known to be final
  (404: reported gone); after ``feed.reprobe_seconds`` the job list is tried again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from procdeck.client._protocol import Flow
from procdeck.client.config import mask_url
from procdeck.client.errors import HTTPStatusError, NotFoundError
from procdeck.client.feed import JobFeed, JobSnapshot
from procdeck.ogc.models import JobInfo, JobList
from procdeck.ogc.vocabulary import CONF_JOB_LIST, REL_NEXT

if TYPE_CHECKING:
    from procdeck.client._core import ClientCore

log = logging.getLogger("procdeck.client")

NO_JOB_LIST_STATUSES = frozenset({404, 405, 501})
"""Statuses a ``/jobs`` request may answer with when the server has no job list at all."""
_REFUSED_LIMIT_STATUSES = frozenset({400, 422})


def poll_jobs(core: ClientCore, feed: JobFeed) -> Flow[JobSnapshot]:
    """One poll: the job list (list mode, or a re-probe is due), else the followed jobs."""
    if feed.mode == "list" or feed.probe_due():
        listing = yield from _job_list(core, feed)
        if listing is not None:
            feed.listed(listing.jobs)
            complete = not any(link.rel == REL_NEXT for link in listing.links)
            return JobSnapshot({job.jobID: job for job in listing.jobs}, complete, mode="list")
    return (yield from _followed_jobs(core, feed))


def _job_list(core: ClientCore, feed: JobFeed) -> Flow[JobList | None]:
    """``GET /jobs``; None when the server turns out to serve no job list."""
    while True:
        try:
            return (yield from core.get_jobs(limit=feed.page_limit))
        except HTTPStatusError as exc:
            if exc.status in _REFUSED_LIMIT_STATUSES and feed.page_limit is not None:
                feed.page_limit = None  # the server refuses our page size: let it page
                continue
            no_list = exc.status in NO_JOB_LIST_STATUSES
            if not no_list and exc.status is not None and 400 <= exc.status < 500:
                no_list = not (yield from _declares_job_list(core, feed))
            if not no_list:
                raise
            log.info("%s serves no job list (%s): following the jobs one by one",
                     mask_url(core.config.server_url), exc.status)
            feed.no_job_list()
            return None


def _declares_job_list(core: ClientCore, feed: JobFeed) -> Flow[bool]:
    if feed.conformance is None:
        declaration = yield from core.get_conformance()
        feed.conformance = tuple(declaration.conformsTo)
    return CONF_JOB_LIST in feed.conformance


def _followed_jobs(core: ClientCore, feed: JobFeed) -> Flow[JobSnapshot]:
    fetched: dict[str, JobInfo] = {}
    gone: set[str] = set()
    for job_id in feed.pending():
        try:
            info = yield from core.get_job(job_id)
        except NotFoundError:
            gone.add(job_id)
            feed.forget_status(job_id)
        else:
            fetched[job_id] = info
            feed.seen((info,))
    return JobSnapshot(fetched, complete=False, gone=frozenset(gone), mode="tracked")

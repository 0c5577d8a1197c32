"""The job poller: one per session, shared by every view that shows jobs.

:class:`JobPoller` keeps the jobs a server reports in :attr:`JobPoller.jobs`
and tells its subscribers what changed at each tick as a :class:`JobDiff`
(new, changed and gone jobs), so a table can patch the changed cells, stream
the new rows and drop the gone ones instead of redrawing.

- One tick is one ``client.poll_jobs(feed)``: one ``GET /jobs`` (the client
  follows paging), never one request per job. The protocol knowledge lives in
  the client (:class:`~procdeck.client.JobFeed`): a server that serves no
  ``/jobs`` (404/405/501, or a 4xx and no ``job-list`` conformance class) is
  handled by following the jobs this session started (:meth:`JobPoller.track`)
  one by one; the poller only schedules the ticks and diffs what they saw.
- The pace follows the jobs: ``fast_interval`` while a job is accepted or
  running, ``slow_interval`` when all are final, growing up to ``max_backoff``
  after errors, paused while :attr:`JobPoller.paused` is set (the browser tab is
  hidden), gone after :meth:`JobPoller.stop` (the session ended).
- Threading: the loop is an asyncio task on the event loop running when
  :meth:`JobPoller.start` is called (a Panel server's loop, a Jupyter kernel's
  loop), or on a private thread when none runs. Client calls never block that
  loop (see :func:`~procdeck.gui.runtime.call_client`). Subscribers are called
  on the loop's thread, outside any Bokeh document lock: views must schedule
  their model changes on their document (see :mod:`procdeck.gui.jobs.session`).
  Errors never end the loop; they are shown in :attr:`JobPoller.error` and the
  next tick comes after a back-off.

The module is Panel-free so the poller can be tested without a browser.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import param

from procdeck._util.backoff import backoff_delay
from procdeck.client.errors import ClientError, ConnectionFailedError, RequestTimeoutError
from procdeck.client.feed import DEFAULT_PAGE_LIMIT, JobFeed, JobSnapshot
from procdeck.client.kinds import AnyClient
from procdeck.gui.runtime import call_client, is_async_client
from procdeck.ogc.models import JobInfo, JobStatus, ProcessRequest
from procdeck.ogc.requests import request_document

__all__ = ["DEFAULT_PAGE_LIMIT", "JobDiff", "JobEvent", "JobPoller"]

log = logging.getLogger(__name__)

DiffCallback = Callable[["JobDiff"], Any]
EventCallback = Callable[["JobEvent"], Any]


@dataclass(frozen=True, slots=True)
class JobDiff:
    """What changed between two ticks.

    ``new`` and ``changed`` map job ids to their current status, in the server's
    order; ``previous`` holds the former status of each changed job; ``gone``
    lists the ids that are no longer reported.
    """

    new: dict[str, JobInfo] = field(default_factory=dict)
    changed: dict[str, JobInfo] = field(default_factory=dict)
    gone: tuple[str, ...] = ()
    previous: dict[str, JobInfo] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.new or self.changed or self.gone)


@dataclass(frozen=True, slots=True)
class JobEvent:
    """A job this session started reached ``successful``, ``failed`` or ``dismissed``."""

    job: JobInfo
    status: JobStatus
    request: dict[str, Any] | None = None

    @property
    def job_id(self) -> str:
        """The job's id."""
        return self.job.jobID


class JobPoller(param.Parameterized):
    """Polls a server's jobs and reports the differences; one per session.

    >>> poller = JobPoller(client)          # doctest: +SKIP
    >>> diff = poller.tick()                # one GET /jobs   # doctest: +SKIP
    >>> poller.start()                      # keep polling in the background  # doctest: +SKIP

    :attr:`feed` is the :class:`~procdeck.client.JobFeed` each tick hands to
    ``client.poll_jobs``; :attr:`mode` and :attr:`page_limit` mirror it.
    """

    jobs = param.Dict(default={}, constant=True, doc="""
        Job id -> JobInfo, in the server's order. Replaced (never mutated) at each change.""")

    error = param.String(default=None, allow_None=True, doc="""
        Why the last tick failed (for the table header), None after a good tick.""")

    connected = param.Boolean(default=True, doc="""
        False while the server cannot be reached.""")

    paused = param.Boolean(default=False, doc="""
        Set while nobody looks (browser tab hidden): no requests until cleared.""")

    running = param.Boolean(default=False, constant=True, doc="""
        True while the background loop runs (between start() and stop()).""")

    mode = param.Selector(default="list", objects=["list", "tracked"], constant=True, doc="""
        'list': one GET /jobs per tick. 'tracked': the server serves no /jobs, so the
        jobs this session started are followed one by one (mirrors feed.mode).""")

    interval = param.Number(default=0.0, bounds=(0, None), constant=True, doc="""
        Seconds until the next tick (fast, slow or backed off).""")

    last_update = param.Date(default=None, allow_None=True, constant=True, doc="""
        When the last tick succeeded (UTC).""")

    process_titles = param.Dict(default={}, constant=True, doc="""
        Process id -> title, loaded once when the loop starts.""")

    fast_interval = param.Number(default=0.5, bounds=(0.05, None), doc="""
        Seconds between ticks while a job is accepted or running.""")

    slow_interval = param.Number(default=5.0, bounds=(0.05, None), doc="""
        Seconds between ticks while every job is final.""")

    max_backoff = param.Number(default=30.0, bounds=(0.05, None), doc="""
        Longest wait between ticks after repeated errors.""")

    page_limit = param.Integer(default=DEFAULT_PAGE_LIMIT, bounds=(1, None), allow_None=True,
                               doc="""Page size asked of GET /jobs (None: the server's).""")

    def __init__(
        self,
        client: AnyClient,
        *,
        fast_interval: float = 0.5,
        slow_interval: float = 5.0,
        max_backoff: float = 30.0,
        **params: Any,
    ) -> None:
        super().__init__(
            fast_interval=fast_interval,
            slow_interval=slow_interval,
            max_backoff=max_backoff,
            **params,
        )
        self.client = client
        self._state_lock = threading.RLock()
        self._seq = itertools.count(1)
        self._applied_seq = 0
        self._known: dict[str, JobInfo] = {}
        self._tracked: dict[str, int] = {}  # job id -> sequence number when tracked
        self._requests: dict[str, dict[str, Any]] = {}
        self._process_of: dict[str, str] = {}
        self._announced: set[str] = set()
        self._failures = 0
        self.feed = JobFeed(self.page_limit)
        """What the client learns about the server across ticks (mode, page size, conformance)."""
        self._diff_subscribers: list[DiffCallback] = []
        self._event_subscribers: list[EventCallback] = []
        self._titles_loaded = False
        # The background loop (see start()).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._wake_event: asyncio.Event | None = None
        self._stopping = False
        self.param.watch(self._on_paused, "paused")
        self.param.watch(self._on_page_limit, "page_limit")

    # -- what views use ---------------------------------------------------------------------

    def subscribe(self, on_diff: DiffCallback) -> Callable[[], None]:
        """Call ``on_diff(diff)`` after every tick that changed something. Returns unsubscribe."""
        self._diff_subscribers.append(on_diff)
        return lambda: _discard(self._diff_subscribers, on_diff)

    def subscribe_events(self, on_event: EventCallback) -> Callable[[], None]:
        """Call ``on_event(event)`` when a job of this session turns final; returns unsubscribe."""
        self._event_subscribers.append(on_event)
        return lambda: _discard(self._event_subscribers, on_event)

    def track(
        self,
        job_id: str,
        process_id: str | None = None,
        request: ProcessRequest | Mapping[str, Any] | None = None,
        *,
        info: JobInfo | None = None,
    ) -> None:
        """Register a job this session started (its request is kept for "run again").

        With ``info`` (the status ``execute_process`` returned) the job is
        reported at once as new, before the next tick; the poller speeds up.
        The request is kept as the standard body the client sent (see
        :func:`procdeck.ogc.requests.request_document`, which raises
        :class:`~procdeck.ogc.requests.RequestError` for an invalid one).
        """
        document = request_document(request) if request is not None else None
        with self._state_lock:
            self._tracked[job_id] = next(self._seq)
            self.feed.follow(job_id, info)
            if process_id is not None:
                self._process_of[job_id] = process_id
            if document is not None:
                self._requests[job_id] = document
        if info is not None:
            self._merge({job_id: info})
        self.wake()

    def is_tracked(self, job_id: str) -> bool:
        """True for a job this session started."""
        return job_id in self._tracked

    def request_for(self, job_id: str) -> dict[str, Any] | None:
        """The execute request of a job this session started, if known."""
        return self._requests.get(job_id)

    def process_of(self, job_id: str) -> str | None:
        """The process id of a job, from its status or from :meth:`track`."""
        info = self._known.get(job_id)
        if info is not None and info.processID:
            return info.processID
        return self._process_of.get(job_id)

    def next_interval(self) -> float:
        """Seconds to wait before the next tick, from the jobs' states and recent errors."""
        if self._failures:
            return backoff_delay(
                self._failures, initial=2 * self.fast_interval, maximum=self.max_backoff
            )
        with self._state_lock:
            if self.mode == "tracked":
                busy = any(not _is_final(self._known.get(job_id)) for job_id in self._tracked)
            else:
                busy = any(not info.is_final for info in self._known.values())
        return self.fast_interval if busy else self.slow_interval

    # -- one tick ---------------------------------------------------------------------------

    def tick(self) -> JobDiff:
        """Poll once with a blocking :class:`~procdeck.client.Client` and report the diff.

        A failure of the server or the network does not raise: it is recorded in
        :attr:`error` (and :attr:`connected`) and an empty diff is returned.
        """
        if is_async_client(self.client):
            raise TypeError("the poller's client is asynchronous: use `await poller.atick()`")
        seq = next(self._seq)
        try:
            snapshot = self.client.poll_jobs(self.feed)
        except ClientError as exc:
            return self._failed(exc)
        return self._succeeded(seq, snapshot)

    async def atick(self) -> JobDiff:
        """Poll once with either client without blocking the event loop; report the diff.

        Errors are recorded like in :meth:`tick`.
        """
        seq = next(self._seq)
        try:
            snapshot = await call_client(self.client.poll_jobs, self.feed)
        except ClientError as exc:
            return self._failed(exc)
        return self._succeeded(seq, snapshot)

    async def dismiss(self, job_id: str) -> JobInfo:
        """Dismiss a job (cancel it, or remove it when final) and show its new status at once.

        Raises the client's :class:`~procdeck.client.errors.ClientError` on failure.
        """
        info = await call_client(self.client.dismiss_job, job_id)
        if job_id in self._known:
            self._merge({job_id: info})
        self.wake()
        return info

    async def load_process_titles(self) -> dict[str, str]:
        """Fetch the process list once (every page) to show titles next to process ids."""
        titles = await call_client(self.client.process_titles)
        with param.edit_constant(self):
            self.process_titles = titles
        self._titles_loaded = True
        return titles

    def _mirror_feed(self) -> None:
        """Show what the last poll taught the feed: its mode and the page size it asks for."""
        feed = self.feed
        if self.page_limit != feed.page_limit:
            self.page_limit = feed.page_limit
        if self.mode != feed.mode:
            with param.edit_constant(self):
                self.mode = feed.mode

    def _on_page_limit(self, event: param.parameterized.Event) -> None:
        self.feed.page_limit = event.new

    # -- applying what was fetched ----------------------------------------------------------

    def _succeeded(self, seq: int, snapshot: JobSnapshot) -> JobDiff:
        self._failures = 0
        self._mirror_feed()
        diff = self._apply(seq, snapshot)
        with param.edit_constant(self):
            self.param.update(
                error=None, connected=True, last_update=datetime.now(UTC),
                interval=self.next_interval(),
            )
        return diff

    def _failed(self, exc: ClientError) -> JobDiff:
        self._failures += 1
        self._mirror_feed()
        unreachable = isinstance(exc, ConnectionFailedError | RequestTimeoutError)
        retry = self.next_interval()
        with param.edit_constant(self):
            self.param.update(
                error=f"Cannot update the jobs: {exc} (retrying in {retry:.0f} s)",
                connected=not unreachable,
                interval=retry,
            )
        log.debug("job poll failed: %s", exc)
        return JobDiff()

    def _merge(self, jobs: dict[str, JobInfo]) -> JobDiff:
        """Report jobs known from elsewhere (execute, dismiss) as if a tick had seen them."""
        self.feed.seen(jobs.values())
        return self._apply(next(self._seq), JobSnapshot(jobs, complete=False), ordered=False)

    def _apply(self, seq: int, snapshot: JobSnapshot, ordered: bool = True) -> JobDiff:
        with self._state_lock:
            if ordered:
                if seq < self._applied_seq:
                    return JobDiff()  # an older tick finished after a newer one
                self._applied_seq = seq
            old = self._known
            if snapshot.complete:
                current = dict(snapshot.jobs)
                # Jobs tracked after this tick's request left may not be listed yet.
                for job_id, since in self._tracked.items():
                    if since > seq and job_id in old and job_id not in current:
                        current[job_id] = old[job_id]
            else:
                current = {**old, **snapshot.jobs}
                for job_id in snapshot.gone:
                    current.pop(job_id, None)
            new = {k: v for k, v in current.items() if k not in old}
            changed = {k: v for k, v in current.items() if k in old and old[k] != v}
            gone = tuple(k for k in old if k not in current)
            diff = JobDiff(new, changed, gone, {k: old[k] for k in changed})
            if not diff:
                return diff
            self._known = current
            events = self._final_events(old, current, gone)
        with param.edit_constant(self):
            self.jobs = current
        self._notify(self._diff_subscribers, diff)
        for event in events:
            self._notify(self._event_subscribers, event)
        return diff

    def _final_events(
        self, old: dict[str, JobInfo], current: dict[str, JobInfo], gone: tuple[str, ...]
    ) -> list[JobEvent]:
        events = []
        for job_id in self._tracked:
            if job_id in self._announced:
                continue
            info = current.get(job_id)
            if info is not None and info.is_final:
                status = info.status
            elif job_id in gone and not _is_final(old.get(job_id)):
                # Removed while not final: it was dismissed (here or elsewhere).
                info = old[job_id].model_copy(update={"status": JobStatus.DISMISSED})
                status = JobStatus.DISMISSED
            else:
                continue
            self._announced.add(job_id)
            events.append(JobEvent(info, JobStatus(status), self._requests.get(job_id)))
        return events

    @staticmethod
    def _notify(subscribers: list[Callable[[Any], Any]], value: Any) -> None:
        for callback in list(subscribers):
            try:
                callback(value)
            except Exception:
                # A broken view must not stop the updates of the others.
                log.exception("job poller subscriber %r failed", callback)

    # -- the background loop ----------------------------------------------------------------

    def start(self) -> JobPoller:
        """Poll in the background until :meth:`stop`: on the running event loop, else a thread."""
        if self.running:
            return self
        self._stopping = False
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with param.edit_constant(self):
            self.running = True
        if loop is not None:
            self._loop = loop
            self._task = loop.create_task(self._run(), name="procdeck-job-poller")
        else:
            self._thread = threading.Thread(
                target=asyncio.run, args=(self._run(),), name="procdeck-job-poller", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the background loop (at session end). Safe to call from any thread, twice."""
        self._stopping = True
        task, loop, thread = self._task, self._loop, self._thread
        if task is not None and loop is not None and not loop.is_closed():
            if _on_loop(loop):
                task.cancel()
            else:
                loop.call_soon_threadsafe(task.cancel)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        with param.edit_constant(self):
            self.running = False

    def wake(self) -> None:
        """Tick now instead of waiting for the interval (after execute, dismiss, resume)."""
        loop, event = self._loop, self._wake_event
        if loop is None or event is None or loop.is_closed():
            return
        if _on_loop(loop):
            event.set()
        else:
            loop.call_soon_threadsafe(event.set)

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._wake_event = asyncio.Event()
        try:
            while not self._stopping:
                if self.paused:
                    await self._wait(None)
                    continue
                self._wake_event.clear()
                await self._tick_safely()
                if not self._titles_loaded and not self._failures:
                    await self._load_titles_safely()
                await self._wait(self.next_interval())
        except asyncio.CancelledError:
            pass
        finally:
            with param.edit_constant(self):
                self.running = False
            self._task = None
            self._wake_event = None

    async def _tick_safely(self) -> None:
        try:
            await self.atick()
        except Exception as exc:
            if isinstance(exc, RuntimeError) and "shutdown" in str(exc):
                # The loop's thread pool is gone (server or interpreter shutting down).
                log.info("job poller stops: %s", exc)
                self._stopping = True
                return
            # A bug must not kill the loop: show it, back off, try again.
            log.exception("job poller tick failed")
            self._failures += 1
            with param.edit_constant(self):
                self.param.update(error=f"Cannot update the jobs: internal error ({exc})",
                                  interval=self.next_interval())

    async def _load_titles_safely(self) -> None:
        try:
            await self.load_process_titles()
        except Exception as exc:
            self._titles_loaded = True  # titles are a nicety: do not ask again
            log.info("process titles unavailable: %s", exc)

    async def _wait(self, seconds: float | None) -> None:
        assert self._wake_event is not None
        try:
            await asyncio.wait_for(self._wake_event.wait(), timeout=seconds)
        except TimeoutError:
            return
        self._wake_event.clear()

    def _on_paused(self, event: param.parameterized.Event) -> None:
        if not event.new:
            self.wake()


def _is_final(info: JobInfo | None) -> bool:
    return info is not None and info.is_final


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _discard(items: list[Any], item: Any) -> None:
    if item in items:
        items.remove(item)

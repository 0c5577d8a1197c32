"""The job manager: creates jobs, runs them on an executor, keeps their state.

Live state is in memory (one lock guards every change); each change is handed
to the :class:`~procdeck.server.store.JobStore` as a row and written behind. A
job's status document is serialised once per change and cached, so status
reads and job lists are served from ready-made JSON.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from procdeck.ogc.vocabulary import EXC_JOB_FAILED, FINAL_STATES, MEDIA_PROBLEM_JSON, JobStatus
from procdeck.server.callbacks import (
    FAILED as FAILED_NOTICE,
)
from procdeck.server.callbacks import (
    IN_PROGRESS,
    SUCCESS,
    CallbackDeliverer,
    Subscription,
)
from procdeck.server.executors import JobExecutor
from procdeck.server.files import remove_job_files
from procdeck.server.registry import ProcessRegistry, RegisteredProcess
from procdeck.server.results import ResultsRequest, render_results
from procdeck.server.store import JobRow, JobStore

__all__ = ["FINAL_STATES", "Job", "JobManager", "JobNotDismissable"]

log = logging.getLogger("procdeck.server")


STOPPED_WHILE_RUNNING = "The server stopped while the job was running"
STOPPED_BEFORE_START = "The server stopped before the job started"


TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _now() -> str:
    return datetime.now(UTC).strftime(TIME_FORMAT)


def format_time(moment: datetime) -> str:
    """A timestamp in the server's format (UTC, microseconds, ``Z``)."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def _duration(job: Job, now: datetime) -> float:
    if job.started is None:
        return 0.0
    start = datetime.fromisoformat(job.started)
    end = datetime.fromisoformat(job.finished) if job.finished else now
    return (end - start).total_seconds()


class JobNotDismissable(Exception):
    """The job's process does not allow dismissing a running job."""


class Job:
    """One job's live state. Change it only through the :class:`JobManager`."""

    __slots__ = (
        "_json", "_waiters", "created", "error", "finished", "id", "message", "process_id",
        "progress", "rendered", "request", "results", "results_json", "results_stored", "seq",
        "started", "status", "subscription", "updated",
    )

    def __init__(self, seq: int, process_id: str, request: str | None, created: str) -> None:
        self.seq = seq
        self.id = f"job_{seq}"
        self.process_id = process_id
        self.status = JobStatus.ACCEPTED
        self.created = created
        self.started: str | None = None
        self.finished: str | None = None
        self.updated: str | None = created
        self.progress: int | None = None
        self.message: str | None = None
        self.request = request
        self.error: dict[str, Any] | None = None
        self.results: dict[str, Any] | None = None
        self.results_json: str | None = None
        self.results_stored = False
        self.rendered: tuple[str, Any] | None = None
        """The results answer last sent, with the base URL it was made for (see routes)."""
        self.subscription: Subscription | None = None
        """Where to send callbacks (the request's checked ``subscriber``), if anywhere."""
        self._json: str | None = None
        self._waiters: list[Callable[[], None]] = []

    @property
    def is_final(self) -> bool:
        """True once successful, failed or dismissed."""
        return self.status in FINAL_STATES

    def status_info(self) -> dict[str, Any]:
        """The job's ``statusInfo`` document (absent fields left out)."""
        info: dict[str, Any] = {
            "jobID": self.id, "processID": self.process_id, "type": "process",
            "status": self.status,
        }
        if self.message is not None:
            info["message"] = self.message
        info["created"] = self.created
        if self.started is not None:
            info["started"] = self.started
        if self.finished is not None:
            info["finished"] = self.finished
        if self.updated is not None:
            info["updated"] = self.updated
        if self.progress is not None:
            info["progress"] = self.progress
        return info

    def failure_problem(self) -> dict[str, Any]:
        """The RFC 7807 members of a failed job's exception, without ``status``/``instance``.

        Its stored error (type, title, detail, traceback...) and its ``jobID``;
        what ``GET /jobs/{id}/results`` answers and ``failedUri`` receives.
        """
        error = dict(self.error or {})
        for reserved in ("instance", "status"):  # the answer's own
            error.pop(reserved, None)
        problem = {"type": error.pop("type", "about:blank"),
                   "title": error.pop("title", "Job failed"),
                   "detail": error.pop("detail", self.message)}
        if problem["detail"] is None:
            del problem["detail"]
        return {**problem, "jobID": self.id, **error}

    def row(self) -> JobRow:
        """The job as a store row."""
        return (
            self.seq, self.id, self.process_id, self.status, self.created, self.started,
            self.finished, self.updated, self.progress, self.message, self.request,
            None if self.error is None else json.dumps(self.error), self.results_json,
        )


class JobManager:
    """Creates, runs, lists, dismisses and removes jobs; persists them through the store."""

    def __init__(
        self,
        registry: ProcessRegistry,
        store: JobStore,
        executor: JobExecutor,
        data_dir: Path,
        allowed_dirs: Sequence[Path] = (),
        callbacks: CallbackDeliverer | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.executor = executor
        self.data_dir = data_dir
        self.allowed_dirs = tuple(allowed_dirs)
        """Directories besides ``data_dir`` that processes may write to (``--allow-path``)."""
        self.callbacks = callbacks
        """Sends the callbacks of jobs with a subscriber (None: callbacks are not sent)."""
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._next_seq = store.first_number
        self._closed = False

    # -- life cycle -------------------------------------------------------------------

    def open(self) -> None:
        """Load the stored jobs, mark interrupted ones failed, start the executor."""
        now = _now()
        for stored in self.store.load():
            job = Job(stored.seq, stored.process_id, None, stored.created)
            job.status, job.started, job.finished = stored.status, stored.started, stored.finished
            job.updated, job.progress, job.message = stored.updated, stored.progress, stored.message
            job.error = json.loads(stored.error) if stored.error else None
            job.results_stored = stored.has_results
            if job.status not in FINAL_STATES:
                running = job.status == JobStatus.RUNNING
                self._fail(job, STOPPED_WHILE_RUNNING if running else STOPPED_BEFORE_START,
                           finished=job.updated or now, now=now)
            self._jobs[job.id] = job
        self.executor.start()
        if self.callbacks is not None:
            self.callbacks.start()

    def close(self) -> None:
        """Fail jobs still accepted or running, stop the executor, flush and close the store.

        The callbacks of those failures are sent within the deliverer's
        shutdown timeout, before the store closes (attempts are recorded there).
        """
        now = _now()
        with self._lock:
            self._closed = True
            for job in self._jobs.values():
                if job.status == JobStatus.RUNNING:
                    self._fail(job, STOPPED_WHILE_RUNNING, finished=now, now=now)
                elif job.status == JobStatus.ACCEPTED:
                    self._fail(job, STOPPED_BEFORE_START, finished=now, now=now)
        self.executor.shutdown(wait=False)
        if self.callbacks is not None and not self.callbacks.close():
            log.warning("callbacks: shutdown gave up on %d notice(s); recorded as not delivered",
                        self.callbacks.abandoned)
        self.store.close()

    # -- reading ----------------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None."""
        return self._jobs.get(job_id)

    def status_json(self, job: Job) -> str:
        """The job's status document as JSON text (cached until the job changes)."""
        with self._lock:
            text = job._json
            if text is None:
                text = job._json = json.dumps(job.status_info())
            return text

    def page(
        self,
        *,
        process_ids: Iterable[str] | None = None,
        statuses: Iterable[str] | None = None,
        after_seq: int = -1,
        limit: int = 1000,
        created_from: str | None = None,
        created_to: str | None = None,
        min_duration: float | None = None,
        max_duration: float | None = None,
    ) -> tuple[list[str], int | None]:
        """One page of job status documents (JSON texts) in creation order.

        ``created_from``/``created_to`` bound the creation time (timestamps in
        this module's ``...Z`` format, inclusive); durations are in seconds
        (from start to finish, or to now while running; 0 before the start).
        Returns the page and the ``seq`` to continue after, or None on the last page.
        """
        timed = min_duration is not None or max_duration is not None
        now = datetime.now(UTC)
        wanted_processes = set(process_ids) if process_ids else None
        wanted_statuses = set(statuses) if statuses else None
        page: list[str] = []
        last = after_seq
        with self._lock:
            for job in self._jobs.values():
                if job.seq <= after_seq:
                    continue
                if wanted_processes is not None and job.process_id not in wanted_processes:
                    continue
                if wanted_statuses is not None and job.status not in wanted_statuses:
                    continue
                if created_from is not None and job.created < created_from:
                    continue
                if created_to is not None and job.created > created_to:
                    continue
                if timed:
                    duration = _duration(job, now)
                    if min_duration is not None and duration < min_duration:
                        continue
                    if max_duration is not None and duration > max_duration:
                        continue
                if len(page) == limit:
                    return page, last
                text = job._json
                if text is None:
                    text = job._json = json.dumps(job.status_info())
                page.append(text)
                last = job.seq
        return page, None

    def results_json(self, job: Job) -> str | None:
        """The results of a successful job as JSON text (loaded from the store if needed)."""
        if job.results_json is None and job.results_stored:
            job.results_json = self.store.load_results(job.seq)
        return job.results_json

    def results(self, job: Job) -> dict[str, Any] | None:
        """The results of a successful job (loaded from the store if needed)."""
        if job.results is None:
            text = self.results_json(job)
            if text is not None:
                job.results = json.loads(text)
        return job.results

    # -- changing ---------------------------------------------------------------------

    def submit(
        self, process: RegisteredProcess, kwargs: dict[str, Any], request: str | None = None,
        subscription: Subscription | None = None, base_url: str = "",
    ) -> Job:
        """Create a job for ``process`` and queue it; ``request`` is the execute body (JSON).

        ``base_url`` is the server's URL as the request reached it: the job's
        file links (:meth:`JobContext.file_link`) start with it.

        With a ``subscription`` (and a callback deliverer) the job's changes are
        pushed to the subscriber's URIs (see :mod:`procdeck.server.callbacks`).
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the job manager is closed")
            seq = self._next_seq
            self._next_seq += 1
            job = Job(seq, process.id, request, _now())
            job.subscription = subscription
            self._jobs[job.id] = job
            self.store.put(job.row())
            self._notify(job)
        self.executor.submit(_JobRun(self, job, process, kwargs, base_url))
        return job

    def dismiss(self, job: Job) -> tuple[dict[str, Any], bool]:
        """Dismiss a job: stop it if accepted or running, remove it if finished.

        Returns the status document to answer with and whether the job was removed;
        a removed job's files are the caller's to remove (:meth:`remove_files`, slow
        for a big store: off the event loop).
        """
        process = self.registry.get(job.process_id)
        with self._lock:
            if job.status in FINAL_STATES:
                self._jobs.pop(job.id, None)
                self.store.delete(job.seq)
                info = job.status_info()
                info.update(status=JobStatus.DISMISSED, message="Job removed", updated=_now())
                return info, True
            was_running = job.status == JobStatus.RUNNING
            if was_running and process is not None and not process.allows_dismiss:
                raise JobNotDismissable(job.process_id)
            now = _now()
            job.status = JobStatus.DISMISSED
            job.message = "Dismissed while running" if was_running else "Dismissed before start"
            job.finished = job.updated = now
            self._changed(job)
            info = job.status_info()
        self.executor.cancel(job.id)
        return info, False

    def remove_files(self, job: Job) -> None:
        """Remove the job's directory of files (``data_dir/<job id>``), if it has one."""
        remove_job_files(self.data_dir, job.id)

    async def wait(self, job: Job) -> None:
        """Wait (without blocking the event loop) until the job is final."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def notify() -> None:
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None))

        with self._lock:
            if job.status in FINAL_STATES:
                return
            job._waiters.append(notify)
        await done

    # -- called by the executor (through _JobRun) ---------------------------------------

    def _changed(self, job: Job) -> None:
        """Call with the lock held after changing ``job``: persist it, wake its waiters if final."""
        job._json = None
        self.store.put(job.row())
        if job.subscription is not None:
            self._notify(job)
        if job._waiters and job.status in FINAL_STATES:
            waiters, job._waiters = job._waiters, []
            for notify in waiters:
                notify()  # only schedules a callback on the event loop: fine under the lock

    def _notify(self, job: Job) -> None:
        """Call with the lock held after a change: queue the callback it calls for, if any.

        ``inProgressUri``: the statusInfo while accepted or running, and when
        dismissed; ``successUri``: the results document; ``failedUri``: the
        exception. Final bodies are made on the callback thread (the job no
        longer changes); a statusInfo is taken now.
        """
        subscription, deliverer = job.subscription, self.callbacks
        if subscription is None or deliverer is None:
            return
        job_url = subscription.job_url(job.id)
        if job.status == JobStatus.SUCCESSFUL:
            if subscription.success is not None:
                deliverer.deliver(job.seq, job.id, SUCCESS, subscription.success,
                                  lambda: self._results_document(job, job_url), link=job_url)
        elif job.status == JobStatus.FAILED:
            if subscription.failed is not None:
                problem = {**job.failure_problem(), "status": 500, "instance": job_url}
                deliverer.deliver(job.seq, job.id, FAILED_NOTICE, subscription.failed,
                                  lambda: json.dumps(problem, default=str).encode("utf-8"),
                                  media_type=MEDIA_PROBLEM_JSON, link=job_url)
        elif subscription.in_progress is not None:
            text = job._json = json.dumps(job.status_info())
            deliverer.deliver(job.seq, job.id, IN_PROGRESS, subscription.in_progress,
                              text.encode("utf-8"), link=job_url)

    def _results_document(self, job: Job, job_url: str) -> bytes:
        """A successful job's results document: the outputs its request chose, by value or link."""
        process = self.registry.get(job.process_id)
        chosen = dataclasses.replace(ResultsRequest.of_text(job.request), response="document")
        rendered = render_results(self.results(job) or {},
                                  process.output_descriptions if process else {},
                                  chosen, job_url)
        return rendered.body

    def _fail(self, job: Job, message: str, *, finished: str, now: str,
              error: dict[str, Any] | None = None) -> None:
        job.status = JobStatus.FAILED
        job.message = message
        job.finished = finished
        job.updated = now
        job.error = error or {"type": EXC_JOB_FAILED, "title": "Job failed", "detail": message}
        self._changed(job)

    def _start(self, job: Job) -> bool:
        with self._lock:
            if job.status == JobStatus.RUNNING:  # a retry, e.g. after a Dask worker was lost
                return True
            if job.status != JobStatus.ACCEPTED or self._closed:
                return False
            job.status = JobStatus.RUNNING
            job.started = job.updated = _now()
            self._changed(job)
        return True

    def _report(self, job: Job, progress: float | None, message: str | None) -> bool:
        with self._lock:
            if job.status != JobStatus.RUNNING:
                return False
            if progress is not None:
                job.progress = max(0, min(100, round(progress)))
            if message is not None:
                job.message = message
            job.updated = _now()
            self._changed(job)
        return True

    def _succeed(self, job: Job, process: RegisteredProcess, result: Any) -> None:
        try:
            outputs = process.outputs(result)
            results_json = json.dumps(outputs)
        except Exception as exc:
            self._finish_failed(job, exc)
            return
        with self._lock:
            if job.status != JobStatus.RUNNING:  # dismissed meanwhile: the results are dropped
                return
            now = _now()
            job.results, job.results_json, job.results_stored = outputs, results_json, True
            job.status = JobStatus.SUCCESSFUL
            job.message = "Done"
            if job.progress is not None:
                job.progress = 100
            job.finished = job.updated = now
            self._changed(job)

    def _finish_failed(
        self, job: Job, error: BaseException | str, lines: list[str] | None = None
    ) -> None:
        if isinstance(error, BaseException):
            message = f"{type(error).__name__}: {error}"
            lines = traceback.format_exception(error)
        else:
            message = error
        details: dict[str, Any] = {
            "type": EXC_JOB_FAILED, "title": "Job failed", "detail": message,
        }
        if lines:
            details["traceback"] = lines
        with self._lock:
            if job.status in FINAL_STATES:  # dismissed, or failed by a shutdown, meanwhile
                return
            now = _now()
            self._fail(job, message, finished=now, now=now, error=details)


class _JobRun:
    """One job handed to the executor (:class:`~procdeck.server.executors.JobRun`)."""

    __slots__ = ("_job", "_manager", "allowed_dirs", "base_url", "data_dir", "job_id", "kwargs",
                 "process")

    def __init__(
        self, manager: JobManager, job: Job, process: RegisteredProcess, kwargs: dict[str, Any],
        base_url: str = "",
    ) -> None:
        self._manager = manager
        self._job = job
        self.job_id = job.id
        self.process = process
        self.kwargs = kwargs
        self.data_dir = manager.data_dir
        self.allowed_dirs = manager.allowed_dirs
        self.base_url = base_url

    def start(self) -> bool:
        return self._manager._start(self._job)

    def report(self, progress: float | None, message: str | None) -> bool:
        return self._manager._report(self._job, progress, message)

    def is_dismissed(self) -> bool:
        return self._job.status != JobStatus.RUNNING

    def succeed(self, result: Any) -> None:
        self._manager._succeed(self._job, self.process, result)

    def fail(self, error: BaseException | str, traceback: list[str] | None = None) -> None:
        self._manager._finish_failed(self._job, error, traceback)

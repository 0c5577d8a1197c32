"""Executors: where job functions run.

The job manager hands an executor one :class:`JobRun` per job: what to run
(the registered process, whose function is importable by reference, the
inputs, the job id, the data directory) and callbacks into the manager
(started, progress/message reports, success, failure, "was it dismissed?").
The manager never knows which executor runs its jobs; it calls
:meth:`JobExecutor.cancel` when a job is dismissed.

- :class:`ThreadExecutor` (the default) runs jobs on a fixed number of daemon
  threads in the server process (:func:`run_here`).
- :class:`~procdeck.server.dask_executor.DaskExecutor` submits them to a Dask
  cluster (``procdeck serve --executor dask``); :func:`make_executor` builds
  either by name without importing Dask for the thread pool.
"""

from __future__ import annotations

import logging
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from procdeck.server.context import JobContext, JobDismissed

if TYPE_CHECKING:
    from procdeck.server.registry import RegisteredProcess

__all__ = [
    "EXECUTORS", "JobExecutor", "JobRun", "ThreadExecutor", "make_executor", "run_here",
]

log = logging.getLogger("procdeck.server")

EXECUTORS = ("threads", "dask")
"""The executor names :func:`make_executor` (and ``procdeck serve --executor``) know."""


class JobRun(Protocol):
    """One job as an executor sees it: what to run, and how to report back.

    The callbacks are thread-safe and cheap; they never raise for a job that
    was dismissed meanwhile (they return False or do nothing instead).
    """

    job_id: str
    """The job's id, e.g. ``job_7``."""
    process: RegisteredProcess
    """The process: ``process.function`` is what runs, ``process.call()`` runs it here."""
    kwargs: dict[str, Any]
    """The function's keyword arguments (inputs checked and converted)."""
    data_dir: Path
    """Where the function writes result files (``JobContext.data_dir``)."""
    allowed_dirs: Sequence[Path]
    """Other directories the operator lets processes write to (``JobContext.allowed_dirs``)."""
    base_url: str
    """The server's base URL as the execute request reached it (``JobContext.base_url``)."""

    def start(self) -> bool:
        """Mark the job running; False if it must not run (dismissed, or the server stops).

        Calling it again for a running job (a retry) returns True and changes nothing.
        """
        ...

    def report(self, progress: float | None, message: str | None) -> bool:
        """Record progress (0..100) and/or a message; False once the job is no longer running."""
        ...

    def is_dismissed(self) -> bool:
        """True once the job should stop (dismissed, failed, or the server stops)."""
        ...

    def succeed(self, result: Any) -> None:
        """Record the function's return value as the job's results (converted here)."""
        ...

    def fail(self, error: BaseException | str, traceback: list[str] | None = None) -> None:
        """Fail the job with an exception, or a message and optional traceback lines."""
        ...


class JobExecutor(ABC):
    """Runs jobs. ``start`` before the first ``submit``; ``shutdown`` at the end."""

    workers: int
    """How many jobs may run at the same time."""

    def start(self) -> None:  # noqa: B027 - optional hook
        """Prepare to run jobs (start threads, connect to a cluster, ...)."""

    @abstractmethod
    def submit(self, run: JobRun) -> None:
        """Queue the job; it runs when a worker is free. Must not block."""

    def cancel(self, job_id: str) -> None:  # noqa: B027 - optional hook
        """The job was dismissed: drop it if queued, ask it to stop if running. Must not block.

        The manager has already marked the job; executors whose jobs check
        :meth:`JobRun.is_dismissed` in-process need not do anything.
        """

    @abstractmethod
    def shutdown(self, wait: bool = False, timeout: float | None = None) -> None:
        """Stop taking jobs; with ``wait``, wait (up to ``timeout``) for running ones."""


def context_for(run: JobRun) -> JobContext:
    """The :class:`JobContext` of a job running in this process, wired to its callbacks."""
    return JobContext(
        run.job_id, run.data_dir, on_report=run.report, is_dismissed=run.is_dismissed,
        allowed_dirs=run.allowed_dirs, base_url=run.base_url,
    )


def run_here(run: JobRun) -> None:
    """Run one job in the calling thread: start it, call its function, report the outcome."""
    if not run.start():
        return
    process = run.process
    try:
        result = process.call(run.kwargs, context_for(run) if process.uses_context else None)
    except JobDismissed:
        return  # the job is already marked dismissed (or failed by a shutdown)
    except Exception as exc:
        run.fail(exc)
        return
    run.succeed(result)


class ThreadExecutor(JobExecutor):
    """A fixed pool of daemon threads fed by one queue.

    Daemon threads, because a process function that ignores dismissal must not
    keep the server from exiting; the manager marks such jobs failed first.
    """

    def __init__(self, workers: int = 4) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self._queue: queue.SimpleQueue[JobRun | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._threads:
                return
            for index in range(self.workers):
                thread = threading.Thread(
                    target=self._work, name=f"procdeck-worker-{index}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def submit(self, run: JobRun) -> None:
        if not self._threads:
            self.start()
        self._queue.put(run)

    def shutdown(self, wait: bool = False, timeout: float | None = None) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(None)
        if wait:
            for thread in threads:
                thread.join(timeout)

    def _work(self) -> None:
        while True:
            run = self._queue.get()
            if run is None:
                return
            try:
                run_here(run)
            except Exception:  # a job must never kill its worker thread
                log.exception("running job %s raised", run.job_id)


def make_executor(
    kind: str = "threads", *, workers: int = 4, scheduler: str | None = None
) -> JobExecutor:
    """An executor by name: ``"threads"`` (``workers`` threads) or ``"dask"``.

    ``"dask"`` submits to the scheduler at ``scheduler`` (``tcp://host:port``),
    or starts a local cluster of ``workers`` single-threaded worker processes
    when no scheduler is given. Dask is imported only for ``"dask"``.
    """
    if kind == "threads":
        if scheduler is not None:
            raise ValueError("a scheduler address needs the dask executor (--executor dask)")
        return ThreadExecutor(workers)
    if kind == "dask":
        from procdeck.server.dask_executor import DaskExecutor

        return DaskExecutor(scheduler, workers=workers)
    raise ValueError(f"unknown executor {kind!r}: choose one of {', '.join(EXECUTORS)}")

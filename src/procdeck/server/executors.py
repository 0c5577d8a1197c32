"""Executors: where job functions run.

The job manager hands an executor a task (a no-argument callable that runs one
job and records its outcome). :class:`ThreadExecutor`, the default, runs tasks
on a fixed number of daemon threads; other executors (e.g. Dask) implement the
same three methods.
"""

from __future__ import annotations

import logging
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable

__all__ = ["JobExecutor", "ThreadExecutor"]

log = logging.getLogger("procdeck.server")

Task = Callable[[], None]


class JobExecutor(ABC):
    """Runs job tasks. ``start`` before the first ``submit``; ``shutdown`` at the end."""

    workers: int
    """How many tasks may run at the same time."""

    def start(self) -> None:  # noqa: B027 - optional hook
        """Prepare to run tasks (start threads, connect to a cluster, ...)."""

    @abstractmethod
    def submit(self, task: Task) -> None:
        """Queue ``task``; it runs when a worker is free. Must not block."""

    @abstractmethod
    def shutdown(self, wait: bool = False, timeout: float | None = None) -> None:
        """Stop taking tasks; with ``wait``, wait (up to ``timeout``) for running ones."""


class ThreadExecutor(JobExecutor):
    """A fixed pool of daemon threads fed by one queue.

    Daemon threads, because a process function that ignores dismissal must not
    keep the server from exiting; the manager marks such jobs failed first.
    """

    def __init__(self, workers: int = 4) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self._queue: queue.SimpleQueue[Task | None] = queue.SimpleQueue()
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

    def submit(self, task: Task) -> None:
        if not self._threads:
            self.start()
        self._queue.put(task)

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
            task = self._queue.get()
            if task is None:
                return
            try:
                task()
            except Exception:  # a task must never kill its worker thread
                log.exception("a job task raised")

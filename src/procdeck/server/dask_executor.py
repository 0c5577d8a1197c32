"""Run the server's jobs on a Dask cluster: ``procdeck serve --executor dask``.

Every job becomes one Dask task (:func:`run_on_worker`, keyed
``<process>-<job id>-<server token>``) that calls the process function on a
worker. The function and its inputs travel pickled by the server (functions by
reference, as Dask does), so the process module must be importable on the
workers and the inputs picklable; the scheduler only needs procdeck itself.

How the parts of a job travel:

- **queueing**: at most as many jobs as the cluster has worker threads are
  given to Dask at a time; the rest wait in the server, oldest first, and go
  when a job ends (so a job starts on the first free worker, never in the
  queue of a busy one). The count follows workers joining and leaving.

- **progress and messages**: the worker-side :class:`JobContext` sends each
  report as a structured event (``Worker.log_event``) on a topic of this
  server; the scheduler forwards it to the server's client
  (``Client.subscribe_topic``), which updates the job. Fire and forget: a
  report costs the worker no round trip.
- **dismiss**: ``Future.cancel()``. A queued task is dropped; a running one is
  marked cancelled on its worker, which the worker-side context notices at the
  function's next ``report()`` (or ``dismissed`` check) by looking at its own
  task state: no round trip either.
- **results**: the function's return value comes back through the future and
  is converted and stored by the job manager exactly as with the thread pool.
  Exceptions are formatted on the worker (message and traceback), so their
  classes need not be importable in the server.
- **a worker dying**: the scheduler announces it (``remove-worker`` on the
  ``all`` topic). A job that was running there fails with "The Dask worker ...
  died while running the job" and its task is cancelled; to make sure Dask does
  not quietly run it again elsewhere, a started job is pinned to its worker.
  Processes registered with ``idempotent=True`` are not pinned: Dask runs them
  again on another worker (at most ``distributed.scheduler.allowed-failures``
  times, then the job fails with Dask's ``KilledWorker``).
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import cloudpickle
import dask
import distributed
from distributed import Client, Future, LocalCluster, get_worker

from procdeck.server.context import JobContext, JobDismissed
from procdeck.server.executors import JobExecutor, JobRun

__all__ = ["ClusterUnavailable", "DaskExecutor", "run_on_worker"]

log = logging.getLogger("procdeck.server")

STARTED, REPORT = "started", "report"
DONE, FAILED, STOPPED = "done", "failed", "stopped"
_RUNNING_TASK_STATES = frozenset({"executing", "long-running", "resumed"})
REPORT_INTERVAL = 0.02
"""Seconds between two progress-only reports sent from a worker (messages always go)."""


class ClusterUnavailable(RuntimeError):
    """The Dask scheduler cannot be reached (or the local cluster did not start)."""


# --- on the worker ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobPayload:
    """Everything a worker needs to run one job (an opaque argument to Dask)."""

    function: Callable[..., Any]
    context_param: str | None
    kwargs: dict[str, Any]
    job_id: str
    data_dir: str
    allowed_dirs: tuple[str, ...]
    topic: str
    base_url: str = ""


class _WorkerLink:
    """The worker side of one job: sends its events, sees whether its task was cancelled."""

    __slots__ = ("_key", "_last_report", "_topic", "_worker", "job_id")

    def __init__(self, topic: str, job_id: str) -> None:
        self._worker = get_worker()
        self._key = self._worker.get_current_task()
        self._topic = topic
        self._last_report = 0.0
        self.job_id = job_id

    def send(self, kind: str, **fields: Any) -> None:
        self._worker.log_event(self._topic, {"kind": kind, "job": self.job_id, **fields})

    def report(self, progress: float | None, message: str | None) -> bool:
        now = time.monotonic()
        if message is None and now - self._last_report < REPORT_INTERVAL:
            return True  # a tight loop of reports must not flood the scheduler
        self._last_report = now
        self.send(
            REPORT,
            progress=None if progress is None else float(progress),
            message=None if message is None else str(message),
        )
        return True

    def cancelled(self) -> bool:
        # The scheduler tells the worker when the task is cancelled (dismissed, or its
        # job failed); reading the worker's own task state costs no round trip.
        task = self._worker.state.tasks.get(self._key)
        return task is None or task.state not in _RUNNING_TASK_STATES


def run_on_worker(pickled: bytes) -> tuple[Any, ...]:
    """The Dask task of one job: run the process function on this worker.

    ``pickled`` is the job's :class:`JobPayload`, pickled by the server: the
    scheduler passes it on without loading it, so only the workers need the
    process modules. Returns ``("done", result)``, ``("failed", message,
    traceback lines)`` or ``("stopped",)`` when the function stopped because
    its task was cancelled.
    """
    try:
        payload: JobPayload = pickle.loads(pickled)
    except Exception as exc:
        return (
            FAILED,
            f"The job cannot be loaded on the Dask worker {get_worker().address}: "
            f"{type(exc).__name__}: {exc} (is the process module installed on every worker?)",
            traceback.format_exception(exc),
        )
    link = _WorkerLink(payload.topic, payload.job_id)
    link.send(STARTED, worker=link._worker.address)
    kwargs = payload.kwargs
    if payload.context_param is not None:
        context = JobContext(
            payload.job_id,
            Path(payload.data_dir),
            on_report=link.report,
            is_dismissed=link.cancelled,
            allowed_dirs=[Path(p) for p in payload.allowed_dirs],
            base_url=payload.base_url,
        )
        kwargs = {**kwargs, payload.context_param: context}
    try:
        result = payload.function(**kwargs)
    except JobDismissed:
        return (STOPPED,)
    except Exception as exc:
        return (FAILED, f"{type(exc).__name__}: {exc}", traceback.format_exception(exc))
    return (DONE, result)


# --- in the server --------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Submitted:
    """A job handed to Dask, as the executor tracks it."""

    run: JobRun
    key: str
    future: Future | None = None
    worker: str | None = None
    """The worker running it, once its start was reported."""
    lost_worker: str | None = None
    """The worker it ran on before that worker was lost (idempotent jobs run again)."""
    stopping: bool = False
    """True once we cancelled its task (dismissed, or its job failed)."""


class DaskExecutor(JobExecutor):
    """Submits every job to a Dask cluster.

    ``scheduler``: the address of a running scheduler (``tcp://host:8786``).
    Without one, :meth:`start` starts a :class:`distributed.LocalCluster` of
    ``workers`` single-threaded worker processes (closed again at shutdown).
    ``workers`` then reflects the cluster's total threads.
    """

    def __init__(
        self,
        scheduler: str | None = None,
        *,
        workers: int = 2,
        dashboard_address: str | None = ":8787",
        connect_timeout: float = 10.0,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.scheduler = scheduler
        self.workers = workers
        self._local_workers = workers
        self._dashboard_address = dashboard_address
        self._connect_timeout = connect_timeout
        self._token = uuid.uuid4().hex[:8]
        self._topic = f"procdeck-jobs-{self._token}"
        self._client: Client | None = None
        self._address: str | None = scheduler
        self._cluster: LocalCluster | None = None
        self._control: ThreadPoolExecutor | None = None
        self._jobs: dict[str, _Submitted] = {}
        self._held: deque[_Submitted] = deque()
        """Jobs waiting for a free worker thread, oldest first (not yet given to Dask)."""
        self._in_flight = 0
        """Jobs given to Dask whose futures are not done yet (at most ``workers``)."""
        self._lock = threading.Lock()

    # -- life cycle -------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """The Dask client (after :meth:`start`)."""
        if self._client is None:
            raise RuntimeError("the Dask executor is not started")
        return self._client

    @property
    def scheduler_address(self) -> str | None:
        """The scheduler this executor submits to (after :meth:`start`)."""
        return self._address

    def start(self) -> None:
        if self._client is not None:
            return
        address = self.scheduler
        try:
            if address is None:
                # Jobs are long tasks: a queued one should wait on the scheduler for the
                # first free worker, not in the queue of a busy one (Dask's default 1.1).
                with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
                    self._cluster = LocalCluster(
                        n_workers=self._local_workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=self._dashboard_address,
                    )
                address = self._cluster.scheduler_address
            client = Client(address, timeout=self._connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, RuntimeError) as exc:
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None
            where = f"the Dask scheduler at {address}" if address else "a local Dask cluster"
            raise ClusterUnavailable(f"cannot reach {where}: {exc}") from exc
        self._client = client
        self._address = client.scheduler.address
        self.workers = sum(client.nthreads().values()) or self.workers
        self._control = ThreadPoolExecutor(1, thread_name_prefix="procdeck-dask")
        client.subscribe_topic(self._topic, self._on_job_event)
        client.subscribe_topic("all", self._on_cluster_event)

    def shutdown(self, wait: bool = False, timeout: float | None = None) -> None:
        client, cluster, control = self._client, self._cluster, self._control
        self._client = self._cluster = self._control = None
        with self._lock:
            entries, self._jobs = list(self._jobs.values()), {}
            self._held.clear()  # never given to Dask (the manager fails them at its next start)
        if control is not None:
            control.shutdown(wait=False, cancel_futures=True)
        if client is None:
            return
        futures = [entry.future for entry in entries if entry.future is not None]
        try:
            if client.status == "running":  # else the scheduler is gone: nothing to tell it
                if futures and wait:
                    distributed.wait(futures, timeout=timeout)
                for topic in (self._topic, "all"):
                    client.unsubscribe_topic(topic)
                if futures:
                    client.cancel(futures, reason="the server stopped")
        except Exception:  # the cluster may be going away meanwhile: still close what we hold
            log.warning("cancelling Dask tasks at shutdown failed", exc_info=True)
        finally:
            client.close(timeout=timeout or 5)
            if cluster is not None:
                cluster.close(timeout=timeout or 10)

    @property
    def dashboard_link(self) -> str | None:
        """The cluster's dashboard URL, if it has one (after :meth:`start`)."""
        return None if self._client is None else self._client.dashboard_link

    # -- jobs -------------------------------------------------------------------------

    def submit(self, run: JobRun) -> None:
        """Give the job to Dask when a worker thread is free, else hold it until one is.

        Dask would assign a task at once to some worker's own queue, even behind a
        long job while another worker idles (it queues only large groups of
        tasks on the scheduler); holding jobs here makes every job start on the
        first free worker, in order.
        """
        entry = _Submitted(run, f"{run.process.id}-{run.job_id}-{self._token}")
        with self._lock:
            self._jobs[run.job_id] = entry  # before submitting: its events may come at once
            send = self._in_flight < self.workers
            if send:
                self._in_flight += 1
            else:
                self._held.append(entry)
        if send:
            self._send(entry)

    def _send(self, entry: _Submitted) -> None:
        run = entry.run
        process = run.process
        payload = JobPayload(
            function=process.function,
            context_param=process.context_param,
            kwargs=run.kwargs,
            job_id=run.job_id,
            data_dir=str(run.data_dir),
            allowed_dirs=tuple(str(path) for path in run.allowed_dirs),
            topic=self._topic,
            base_url=run.base_url,
        )
        try:
            # Pickled here (functions by reference, like Dask) and loaded only by the worker.
            pickled = cloudpickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            future = self.client.submit(run_on_worker, pickled, key=entry.key, pure=False)
        except Exception as exc:  # unpicklable inputs, a closed client: the job must not hang
            with self._lock:
                self._jobs.pop(run.job_id, None)
            run.fail(f"The job could not be submitted to Dask: {type(exc).__name__}: {exc}",
                     traceback.format_exception(exc))
            self._release()
            return
        entry.future = future
        future.add_done_callback(partial(self._finished, run.job_id))
        if entry.stopping:  # dismissed while we were submitting
            self._later(self._cancel_now, entry, "dismissed")

    def cancel(self, job_id: str) -> None:
        with self._lock:
            entry = self._jobs.get(job_id)
            if entry is not None and entry.future is None and entry in self._held:
                self._held.remove(entry)  # never given to Dask: nothing to stop
                del self._jobs[job_id]
                return
        if entry is not None:
            self._stop(entry, "dismissed")

    def _release(self) -> None:
        """One job given to Dask is over: give the next held ones their turn."""
        with self._lock:
            self._in_flight -= 1
        self._dispatch()

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                if not self._held or self._in_flight >= self.workers or self._client is None:
                    return
                entry = self._held.popleft()
                self._in_flight += 1
            self._send(entry)

    def _refresh_capacity(self) -> None:
        # Run by the control thread (a round trip to the scheduler): workers came or went.
        client = self._client
        if client is None:
            return
        self.workers = sum(client.nthreads().values())
        self._dispatch()

    def _stop(self, entry: _Submitted, reason: str) -> None:
        """Cancel the job's task, off the calling thread (the event loop must not wait)."""
        if entry.stopping:
            return
        entry.stopping = True
        self._later(self._cancel_now, entry, reason)

    def _cancel_now(self, entry: _Submitted, reason: str) -> None:
        if entry.future is not None:
            entry.future.cancel(reason=reason)

    def _pin(self, entry: _Submitted, worker: str) -> None:
        # Run only by the control thread, which holds ``entry`` (and so its future): the
        # scheduler still knows the task, even if it finished meanwhile.
        if entry.stopping or self._client is None or entry.future is None or entry.future.done():
            return  # a quick job may be over before its pin: nothing left to protect
        client = self._client
        client.sync(client.scheduler.set_restrictions, worker={entry.key: [worker]})

    def _later(self, function: Callable[..., None], *args: Any) -> None:
        control = self._control
        if control is None:
            return
        with contextlib.suppress(RuntimeError):  # RuntimeError: shut down meanwhile
            control.submit(self._guarded, function, *args)

    @staticmethod
    def _guarded(function: Callable[..., None], *args: Any) -> None:
        try:
            function(*args)
        except Exception:
            log.warning("Dask control call %s failed", function.__name__, exc_info=True)

    # -- events (on the client's event loop) --------------------------------------------

    def _on_job_event(self, event: tuple[float, dict[str, Any]]) -> None:
        message = event[1]
        entry = self._jobs.get(message.get("job", ""))
        if entry is None:
            return
        kind = message.get("kind")
        if kind == REPORT:
            entry.run.report(message.get("progress"), message.get("message"))
        elif kind == STARTED:
            self._started(entry, message["worker"])

    def _started(self, entry: _Submitted, worker: str) -> None:
        lost, entry.lost_worker, entry.worker = entry.lost_worker, None, worker
        if not entry.run.start():  # dismissed before it started, or failed meanwhile
            self._stop(entry, "dismissed")
            return
        if lost is not None:
            entry.run.report(0, f"Running again on {worker} (the worker {lost} was lost)")
        if not entry.run.process.idempotent:
            self._later(self._pin, entry, worker)

    def _on_cluster_event(self, event: tuple[float, dict[str, Any]]) -> None:
        message = event[1]
        if message.get("action") in ("add-worker", "remove-worker"):
            self._later(self._refresh_capacity)
        if message.get("action") != "remove-worker":
            return
        worker = message.get("worker")
        gone = "left" if message.get("expected") else "died"
        with self._lock:
            entries = list(self._jobs.values())
        for entry in entries:
            if entry.worker != worker or entry.stopping:
                continue
            entry.worker = None
            if entry.run.process.idempotent:
                entry.lost_worker = worker
                entry.run.report(None, f"The Dask worker {worker} {gone}; the job runs again")
            else:
                entry.run.fail(f"The Dask worker {worker} {gone} while running the job")
                self._stop(entry, f"its worker {worker} {gone}")

    # -- outcomes (on Dask's callback thread) ------------------------------------------

    def _finished(self, job_id: str, future: Future) -> None:
        try:
            self._outcome(job_id, future)
        finally:
            self._release()

    def _outcome(self, job_id: str, future: Future) -> None:
        with self._lock:
            entry = self._jobs.get(job_id)
            if entry is None or entry.future is not future:
                return
            del self._jobs[job_id]
        run = entry.run
        status = future.status
        if status == "finished":
            try:
                outcome = future.result()
            except Exception as exc:  # e.g. the result cannot be unpickled here
                run.fail(f"Fetching the job's result from Dask failed: {type(exc).__name__}: {exc}")
                return
            self._record(run, outcome)
        elif status == "error":
            exc, tb = future.exception(), future.traceback()
            run.fail(_task_error(exc), traceback.format_tb(tb) if tb is not None else None)
        elif not entry.stopping:  # cancelled, but not by us: e.g. the scheduler went away
            run.fail(self._cancelled_elsewhere())

    def _cancelled_elsewhere(self) -> str:
        client = self._client
        if client is None or client.status != "running":
            return f"The connection to the Dask scheduler at {self._address} was lost"
        return "The job's Dask task was cancelled outside this server"

    @staticmethod
    def _record(run: JobRun, outcome: tuple[Any, ...]) -> None:
        if not run.start():  # dismissed meanwhile: its outcome is dropped
            return
        kind = outcome[0]
        if kind == DONE:
            run.succeed(outcome[1])
        elif kind == FAILED:
            run.fail(outcome[1], outcome[2])
        else:
            run.fail("The job stopped on its worker: its Dask task was cancelled")


def _task_error(exc: BaseException | None) -> str:
    """A readable message for a task that failed outside the process function."""
    name = type(exc).__name__ if exc is not None else "Error"
    if name == "KilledWorker":
        return f"Dask workers died while running the job: {exc}"
    # e.g. an unpicklable return value, or a scheduler without procdeck installed
    return f"The job's Dask task failed: {name}: {exc}"

"""Executors: the interface the job manager talks to, the thread pool, choosing one by name.

The Dask executor against a real cluster is covered by
tests/integration/test_dask.py; here: the contract every executor relies on
(what a ``JobRun`` does), executors other than the thread pool plugged into the
app, and the errors of a bad choice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from procdeck.cli import app as cli_app
from procdeck.server import JobContext, JobDismissed, ProcessRegistry, create_app
from procdeck.server.executors import (
    JobExecutor,
    JobRun,
    ThreadExecutor,
    make_executor,
    run_here,
)
from procdeck.server.testing import free_port

ASYNC = {"Prefer": "respond-async"}


def make_registry() -> ProcessRegistry:
    registry = ProcessRegistry()

    @registry.process
    def double(x: int) -> int:
        """Doubles x; refuses negative numbers."""
        if x < 0:
            raise ValueError("x must not be negative")
        return 2 * x

    @registry.process(idempotent=True)
    def steps(ctx: JobContext, count: int = 3) -> int:
        """Reports ``count`` steps."""
        for step in range(count):
            ctx.report(100 * step / count, f"step {step}")
        return count

    return registry


# --- run_here: the thread pool's body, against a recording JobRun ------------------------


class RecordingRun:
    """A JobRun that records the calls an executor makes (the manager's side, in small)."""

    def __init__(self, process_id: str, kwargs: dict[str, Any], *, may_start: bool = True,
                 stop_after_reports: int | None = None) -> None:
        self.job_id = "job_1"
        self.process = make_registry().get(process_id)
        self.kwargs = kwargs
        self.data_dir = Path(".")
        self.allowed_dirs: tuple[Path, ...] = ()
        self.base_url = "http://testserver"
        self.calls: list[tuple[Any, ...]] = []
        self._may_start = may_start
        self._stop_after = stop_after_reports

    def start(self) -> bool:
        self.calls.append(("start",))
        return self._may_start

    def report(self, progress: float | None, message: str | None) -> bool:
        self.calls.append(("report", progress, message))
        reports = sum(1 for call in self.calls if call[0] == "report")
        return self._stop_after is None or reports < self._stop_after

    def is_dismissed(self) -> bool:
        return False

    def succeed(self, result: Any) -> None:
        self.calls.append(("succeed", result))

    def fail(self, error: BaseException | str, traceback: list[str] | None = None) -> None:
        self.calls.append(("fail", error))


def test_run_here_starts_calls_and_hands_back_the_raw_result() -> None:
    run = RecordingRun("steps", {"count": 2})
    run_here(run)
    assert run.calls == [
        ("start",), ("report", 0.0, "step 0"), ("report", 50.0, "step 1"), ("succeed", 2),
    ]


def test_run_here_hands_back_the_exception_of_a_failing_function() -> None:
    run = RecordingRun("double", {"x": -1})
    run_here(run)
    assert run.calls[0] == ("start",)
    kind, error = run.calls[1]
    assert kind == "fail" and isinstance(error, ValueError)
    assert str(error) == "x must not be negative"


def test_run_here_does_not_call_a_function_that_must_not_start() -> None:
    run = RecordingRun("double", {"x": 2}, may_start=False)
    run_here(run)
    assert run.calls == [("start",)]


def test_a_report_refused_by_the_manager_stops_the_function() -> None:
    # report() answering False (the job was dismissed meanwhile) raises JobDismissed
    # in the function; the job then neither succeeds nor fails.
    run = RecordingRun("steps", {"count": 5}, stop_after_reports=2)
    run_here(run)
    assert [call[0] for call in run.calls] == ["start", "report", "report"]


def test_job_context_raises_when_the_report_is_refused() -> None:
    context = JobContext("job_3", Path("."), on_report=lambda progress, message: False)
    with pytest.raises(JobDismissed):
        context.report(10)
    quiet = JobContext("job_4", Path("."), on_report=lambda progress, message: None)
    quiet.report(10)  # a callback that returns nothing accepts the report


def test_recording_run_satisfies_the_protocol() -> None:
    run: JobRun = RecordingRun("double", {"x": 1})  # type-checked: the protocol's shape
    assert run.process is not None and run.process.id == "double"


# --- other executors plugged into the app -----------------------------------------------


class InlineExecutor(JobExecutor):
    """Runs each job at once inside ``submit`` (what a test executor might do)."""

    workers = 1

    def __init__(self) -> None:
        self.cancelled: list[str] = []

    def submit(self, run: JobRun) -> None:
        run_here(run)

    def cancel(self, job_id: str) -> None:
        self.cancelled.append(job_id)

    def shutdown(self, wait: bool = False, timeout: float | None = None) -> None:
        pass


class HoldingExecutor(JobExecutor):
    """Keeps the runs it gets; the test drives them through the JobRun callbacks."""

    workers = 1

    def __init__(self) -> None:
        self.runs: dict[str, JobRun] = {}
        self.cancelled: list[str] = []

    def submit(self, run: JobRun) -> None:
        self.runs[run.job_id] = run

    def cancel(self, job_id: str) -> None:
        self.cancelled.append(job_id)

    def shutdown(self, wait: bool = False, timeout: float | None = None) -> None:
        pass


@pytest.fixture
def holding() -> Iterator[tuple[TestClient, HoldingExecutor]]:
    executor = HoldingExecutor()
    with TestClient(create_app(make_registry(), executor=executor)) as client:
        yield client, executor


def test_the_manager_runs_jobs_on_any_executor() -> None:
    executor = InlineExecutor()
    with TestClient(create_app(make_registry(), executor=executor)) as client:
        answer = client.post("/processes/double/execution", json={"inputs": {"x": 21}},
                             headers=ASYNC)
        assert answer.status_code == 201
        assert answer.json()["status"] == "successful"  # ran inside submit()
        job_id = answer.json()["jobID"]
        assert client.get(f"/jobs/{job_id}/results").json() == 42  # raw, as the request asked


def test_dismiss_tells_the_executor(holding: tuple[TestClient, HoldingExecutor]) -> None:
    client, executor = holding
    job_id = client.post("/processes/double/execution", json={"inputs": {"x": 1}},
                         headers=ASYNC).json()["jobID"]
    assert client.delete(f"/jobs/{job_id}").json()["status"] == "dismissed"
    assert executor.cancelled == [job_id]
    run = executor.runs[job_id]
    assert run.start() is False  # a dismissed job must not start any more
    # Removing the (now final) job is no business of the executor's.
    client.delete(f"/jobs/{job_id}")
    assert executor.cancelled == [job_id]


def test_job_run_callbacks_drive_the_job(holding: tuple[TestClient, HoldingExecutor]) -> None:
    client, executor = holding
    job_id = client.post("/processes/steps/execution", json={"inputs": {}},
                         headers=ASYNC).json()["jobID"]
    run = executor.runs[job_id]
    assert run.process.idempotent is True
    assert run.report(10, "early") is False  # not started yet: nothing recorded
    assert client.get(f"/jobs/{job_id}").json()["status"] == "accepted"

    assert run.start() is True
    assert run.start() is True  # a retry of a running job (e.g. a lost Dask worker)
    assert run.report(40, "remote step") is True
    status = client.get(f"/jobs/{job_id}").json()
    assert (status["status"], status["progress"], status["message"]) == (
        "running", 40, "remote step"
    )
    run.succeed(3)  # the raw return value: the manager converts and stores it
    assert client.get(f"/jobs/{job_id}").json()["status"] == "successful"
    assert client.get(f"/jobs/{job_id}/results").json() == 3  # raw, as the request asked
    assert run.is_dismissed() is True  # no longer running
    run.fail("too late")  # a final job stays as it is
    assert client.get(f"/jobs/{job_id}").json()["status"] == "successful"


def test_a_job_can_fail_before_it_started(holding: tuple[TestClient, HoldingExecutor]) -> None:
    # E.g. a Dask worker cannot load the function: the job never ran.
    client, executor = holding
    job_id = client.post("/processes/double/execution", json={"inputs": {"x": 1}},
                         headers=ASYNC).json()["jobID"]
    executor.runs[job_id].fail("The job cannot be loaded", ["line 1\n", "line 2\n"])
    status = client.get(f"/jobs/{job_id}").json()
    assert (status["status"], status["message"]) == ("failed", "The job cannot be loaded")
    error = client.get(f"/jobs/{job_id}/results").json()
    assert error["detail"] == "The job cannot be loaded"
    assert error["traceback"] == ["line 1\n", "line 2\n"]


def test_results_that_cannot_be_converted_fail_the_job(
    holding: tuple[TestClient, HoldingExecutor],
) -> None:
    client, executor = holding
    job_id = client.post("/processes/double/execution", json={"inputs": {"x": 1}},
                         headers=ASYNC).json()["jobID"]
    run = executor.runs[job_id]
    run.start()
    run.succeed(object())  # not JSON-able as an int
    status = client.get(f"/jobs/{job_id}").json()
    assert status["status"] == "failed"
    assert "traceback" in client.get(f"/jobs/{job_id}/results").json()


def test_thread_executor_runs_jobs_on_its_threads() -> None:
    with TestClient(create_app(make_registry(), executor=ThreadExecutor(2))) as client:
        job_id = client.post("/processes/steps/execution", json={"inputs": {"count": 4}},
                             headers=ASYNC).json()["jobID"]
        deadline = time.monotonic() + 10
        while client.get(f"/jobs/{job_id}").json()["status"] != "successful":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert client.get(f"/jobs/{job_id}/results").json() == 4  # raw, as the request asked


# --- choosing an executor -------------------------------------------------------------------


def test_make_executor_by_name() -> None:
    threads = make_executor("threads", workers=3)
    assert isinstance(threads, ThreadExecutor) and threads.workers == 3
    with pytest.raises(ValueError, match="unknown executor 'spark'"):
        make_executor("spark")
    with pytest.raises(ValueError, match="--executor dask"):
        make_executor("threads", scheduler="tcp://127.0.0.1:8786")


def test_create_app_refuses_a_bad_executor_at_once() -> None:
    with pytest.raises(ValueError, match="unknown executor"):
        create_app(make_registry(), executor="spark")


def test_dask_executor_is_made_lazily_and_reports_an_unreachable_scheduler() -> None:
    pytest.importorskip("distributed")
    from procdeck.server.dask_executor import ClusterUnavailable, DaskExecutor

    address = f"tcp://127.0.0.1:{free_port()}"
    executor = make_executor("dask", scheduler=address)
    assert isinstance(executor, DaskExecutor) and executor.scheduler == address
    slow = DaskExecutor(address, connect_timeout=1)
    with pytest.raises(ClusterUnavailable, match=f"cannot reach the Dask scheduler at {address}"):
        slow.start()
    slow.shutdown()  # nothing to close: still fine


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler needs --executor dask"),
        (["--executor", "spark"], "--executor 'spark': choose one of threads, dask"),
    ],
)
def test_serve_refuses_bad_executor_options(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--store", ":memory:", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_a_job_the_dask_executor_cannot_submit_fails_at_once() -> None:
    pytest.importorskip("distributed")
    from procdeck.server.dask_executor import DaskExecutor

    run = RecordingRun("double", {"x": 1})
    DaskExecutor().submit(run)  # never started: no client to submit with
    [(kind, message)] = run.calls
    assert kind == "fail"
    assert message == (
        "The job could not be submitted to Dask: RuntimeError: the Dask executor is not started"
    )

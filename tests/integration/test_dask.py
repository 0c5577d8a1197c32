"""The server's jobs on a Dask cluster: ``procdeck serve --executor dask --scheduler ...``.

One LocalCluster (2 single-threaded worker processes, nannies) and one real
server submitting to it serve the whole module; the tests drive the server with
the real procdeck client and look at the cluster through their own Dask client
(which worker runs a job, kill it). Worker processes are spawned, so they import
the process modules the way a real deployment does.
"""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

import dask  # noqa: E402

from procdeck.client import Client, JobFailedError  # noqa: E402
from procdeck.models import JobInfo, JobStatus  # noqa: E402
from procdeck.server.testing import ServerProcess  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PROBE_MODULE = '''
"""Processes for the Dask tests: where did I run, and an idempotent one."""

import os
import time
from typing import Any

from procdeck.server import JobContext, ProcessRegistry

registry = ProcessRegistry()


@registry.process(id="where_am_i")
def where_am_i() -> int:
    """The process id of the Python process that ran the job."""
    return os.getpid()


@registry.process(id="steady_count", idempotent=True)
def steady_count(ctx: JobContext, seconds: float = 3.0) -> int:
    """Count through ``seconds`` in 50 ms steps (safe to run again); return the pid."""
    steps = max(1, int(seconds / 0.05))
    for step in range(steps):
        time.sleep(seconds / steps)
        ctx.report(100 * step / steps)
    return os.getpid()


@registry.process(id="count_starts")
def count_starts(ctx: JobContext, seconds: float = 30.0) -> int:
    """Not idempotent: notes every start in <data dir>/<job id>.starts, then sleeps."""
    with open(ctx.data_dir / f"{ctx.job_id}.starts", "a") as starts:
        starts.write(f"{os.getpid()}\\n")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.05)
        ctx.report(message="counting")
    return os.getpid()


@registry.process(id="unpicklable_result")
def unpicklable_result() -> Any:
    """Returns something that cannot travel back from the worker."""
    import threading

    return threading.Lock()
'''

SERVER_ONLY_MODULE = '''
"""A process module on the server's path only: the workers cannot import it."""

from procdeck.server import ProcessRegistry

registry = ProcessRegistry()


@registry.process(id="server_only")
def server_only() -> int:
    return 1
'''


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory with the test process module, on the path of the server and the workers."""
    root = tmp_path_factory.mktemp("dask-probe")
    (root / "dask_probe.py").write_text(textwrap.dedent(PROBE_MODULE))
    sys.path.insert(0, str(root))  # spawned worker processes inherit sys.path
    try:
        yield root
    finally:
        sys.path.remove(str(root))


@pytest.fixture(scope="module")
def cluster(probe_dir: Path) -> Iterator[distributed.Client]:
    """A Dask client of a 2-worker LocalCluster (processes) shared by this module."""
    # Jobs are long tasks: keep queued ones on the scheduler, not behind a busy worker.
    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
        local = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            worker_dashboard_address=None,
        )
        client = distributed.Client(local)
    try:
        client.wait_for_workers(2, timeout=60)
        yield client
    finally:
        client.close()
        local.close()


@pytest.fixture(scope="module")
def server(cluster: distributed.Client, probe_dir: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real ``procdeck serve`` submitting every job to the cluster."""
    root = tmp_path_factory.mktemp("dask-server")
    (root / "server_only.py").write_text(textwrap.dedent(SERVER_ONLY_MODULE))
    path = os.pathsep.join(
        p for p in (str(probe_dir), str(root), os.environ.get("PYTHONPATH")) if p
    )
    process = ServerProcess(
        store=root / "jobs.sqlite",
        data_dir=root / "data",
        processes=["procdeck.demo", "dask_probe", "server_only"],
        extra_args=["--executor", "dask", "--scheduler", cluster.scheduler.address],
        env={"PYTHONPATH": path},
        log_path=root / "server.log",
    )
    process.start(timeout=60)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def client(server: ServerProcess, cluster: distributed.Client) -> Iterator[Client]:
    """A procdeck client of the server; the cluster has both workers again afterwards."""
    with Client(server.url) as procdeck_client:
        yield procdeck_client
    cluster.wait_for_workers(2, timeout=60)


def execute(client: Client, process_id: str, **inputs: Any) -> str:
    """Submit a job asynchronously; return its id."""
    return client.execute_process(process_id, {"inputs": inputs}).jobID


def wait_until(
    client: Client, job_id: str, predicate: Callable[[JobInfo], bool], timeout: float = 30.0
) -> JobInfo:
    """Poll the job until ``predicate(status)`` holds; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get_job(job_id)
        if predicate(job):
            return job
        if time.monotonic() > deadline:
            pytest.fail(f"{job_id} did not get there within {timeout} s: {job.to_dict()}")
        time.sleep(0.05)


def running(job: JobInfo) -> bool:
    return job.status == JobStatus.RUNNING


def final(job: JobInfo) -> bool:
    return job.is_final


def worker_running(cluster: distributed.Client, job_id: str) -> str | None:
    """The address of the worker whose queue holds the job's task, if any."""
    marker = f"-{job_id}-"
    for address, keys in cluster.processing().items():
        if any(marker in str(key) for key in keys):
            return address
    return None


def kill_worker(cluster: distributed.Client, address: str) -> int:
    """Kill the worker process at ``address`` as a crash would; return its pid."""
    pid = cluster.run(os.getpid, workers=[address])[address]
    os.kill(pid, signal.SIGKILL)  # the workers are local processes
    return pid


# --- the demo processes ---------------------------------------------------------------


def test_jobs_run_in_the_worker_processes(client: Client, server: ServerProcess,
                                          cluster: distributed.Client) -> None:
    worker_pids = set(cluster.run(os.getpid).values())
    results = client.run_process("where_am_i", {}, timeout=30)
    assert results.value("return_value") in worker_pids
    assert results.value("return_value") != server.pid


def test_primes_between(client: Client) -> None:
    results = client.run_process("primes_between", {"min_val": 10, "max_val": 30}, timeout=30)
    assert results.value("return_value") == [11, 13, 17, 19, 23, 29]


def test_sleep_a_while_reports_progress_live(client: Client) -> None:
    job_id = execute(client, "sleep_a_while", duration=1.5)
    seen: list[int] = []
    job = wait_until(client, job_id, lambda j: seen.append(j.progress or 0) or j.is_final)
    assert job.status == JobStatus.SUCCESSFUL, job.to_dict()
    assert job.progress == 100
    partial = [p for p in seen if 0 < p < 100]
    assert len(set(partial)) >= 3, f"progress not seen while running: {seen}"
    assert partial == sorted(partial)
    slept = client.get_job_results(job_id).value("return_value")
    assert 1.5 <= slept < 5


def test_a_failing_job_keeps_its_error_and_traceback(client: Client) -> None:
    job_id = execute(client, "sleep_a_while", duration=0.4, fail=True)
    job = wait_until(client, job_id, final)
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("RuntimeError: Failed on purpose")
    with pytest.raises(JobFailedError) as caught:
        client.run_process("sleep_a_while", {"duration": 0.2, "fail": True}, timeout=30)
    assert "Failed on purpose" in str(caught.value)
    from procdeck.client import ServerError

    with pytest.raises(ServerError) as error:
        client.get_job_results(job_id)
    assert error.value.traceback is not None
    assert "in sleep_a_while" in error.value.traceback


def test_simulate_scene_writes_zarr_to_the_server_data_dir(
    client: Client, server: ServerProcess
) -> None:
    xarray = pytest.importorskip("xarray")
    pytest.importorskip("zarr")
    job_id = execute(client, "simulate_scene", var_names="sst, chl", resolution=1.0,
                     end_date="2025-01-05")
    job = wait_until(client, job_id, final, timeout=60)
    assert job.status == JobStatus.SUCCESSFUL, job.to_dict()
    link = client.get_job_results(job_id).value("return_value")
    path = Path(link["href"].removeprefix("file://"))
    assert path == Path(server.data_dir).resolve() / job_id / "scene.zarr"
    dataset = xarray.open_zarr(path)
    assert set(dataset.data_vars) == {"sst", "chl"}
    assert dataset.sizes == {"time": 5, "lat": 180, "lon": 360}


def test_a_function_the_workers_cannot_import_fails_its_job_clearly(client: Client) -> None:
    job_id = execute(client, "server_only")
    job = wait_until(client, job_id, final)
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("The job cannot be loaded on the Dask worker tcp://")
    assert "ModuleNotFoundError: No module named 'server_only'" in job.message


def test_a_result_that_cannot_travel_back_fails_its_job(client: Client) -> None:
    job_id = execute(client, "unpicklable_result")
    job = wait_until(client, job_id, final)
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("Fetching the job's result from Dask failed: TypeError")
    assert "lock" in job.message


# --- dismiss ----------------------------------------------------------------------------


def test_dismiss_stops_a_running_job_and_drops_a_queued_one(
    client: Client, cluster: distributed.Client
) -> None:
    first = execute(client, "sleep_a_while", duration=30)
    second = execute(client, "sleep_a_while", duration=30)
    wait_until(client, first, running)
    wait_until(client, second, running)
    queued = execute(client, "primes_between", min_val=0, max_val=10)
    waiting = execute(client, "sleep_a_while", duration=0.3)
    time.sleep(0.3)
    assert client.get_job(queued).status == JobStatus.ACCEPTED  # both workers are busy

    dropped = client.dismiss_job(queued)
    assert dropped.status == JobStatus.DISMISSED
    stopped = client.dismiss_job(first)
    assert stopped.status == JobStatus.DISMISSED

    # The first job's worker thread must really stop (cooperatively, at its next
    # report): only then can the waiting job run there, long before the 30 s are up.
    done = wait_until(client, waiting, final, timeout=10)
    assert done.status == JobStatus.SUCCESSFUL
    job = client.get_job(queued)
    assert job.status == JobStatus.DISMISSED and job.started is None
    assert client.get_job(first).status == JobStatus.DISMISSED
    assert worker_running(cluster, first) is None

    client.dismiss_job(second)
    deadline = time.monotonic() + 10
    while worker_running(cluster, second) is not None:
        assert time.monotonic() < deadline, "the dismissed job's task is still on the cluster"
        time.sleep(0.05)


# --- a worker dying ----------------------------------------------------------------------


def test_killing_the_worker_of_a_job_fails_that_job(
    client: Client, cluster: distributed.Client
) -> None:
    victim = execute(client, "sleep_a_while", duration=30)
    bystander = execute(client, "sleep_a_while", duration=2)
    wait_until(client, victim, running)
    wait_until(client, bystander, running)
    address = worker_running(cluster, victim)
    assert address is not None
    time.sleep(0.2)  # let the server pin the started job to its worker

    kill_worker(cluster, address)
    job = wait_until(client, victim, final, timeout=20)
    assert job.status == JobStatus.FAILED
    assert job.message == f"The Dask worker {address} died while running the job"
    with pytest.raises(Exception, match="died while running the job"):
        client.get_job_results(victim)

    # Not run again elsewhere (it is not idempotent), and the other job is unharmed.
    assert wait_until(client, bystander, final).status == JobStatus.SUCCESSFUL
    cluster.wait_for_workers(2, timeout=60)  # the nanny restarts the worker
    time.sleep(0.5)
    assert worker_running(cluster, victim) is None
    assert client.get_job(victim).status == JobStatus.FAILED


def test_a_job_whose_worker_died_is_not_run_again(
    client: Client, cluster: distributed.Client, server: ServerProcess
) -> None:
    job_id = execute(client, "count_starts", seconds=30)
    wait_until(client, job_id, running)
    address = worker_running(cluster, job_id)
    assert address is not None
    time.sleep(0.2)  # let the server pin the started job to its worker
    kill_worker(cluster, address)  # the other worker is idle: Dask would rerun it there

    job = wait_until(client, job_id, final, timeout=20)
    assert job.status == JobStatus.FAILED
    assert "died while running the job" in job.message
    cluster.wait_for_workers(2, timeout=60)
    time.sleep(1.0)
    starts = (Path(server.data_dir) / f"{job_id}.starts").read_text().split()
    assert len(starts) == 1, f"the job started {len(starts)} times"
    assert worker_running(cluster, job_id) is None


def test_an_idempotent_job_runs_again_when_its_worker_dies(
    client: Client, cluster: distributed.Client
) -> None:
    job_id = execute(client, "steady_count", seconds=4)
    wait_until(client, job_id, lambda j: running(j) and (j.progress or 0) > 5)
    address = worker_running(cluster, job_id)
    assert address is not None
    killed_pid = kill_worker(cluster, address)

    messages: list[str] = []
    job = wait_until(client, job_id, lambda j: messages.append(j.message or "") or j.is_final,
                     timeout=60)
    assert job.status == JobStatus.SUCCESSFUL, job.to_dict()
    pid = client.get_job_results(job_id).value("return_value")
    assert pid != killed_pid
    assert any("the job runs again" in m or "Running again" in m for m in messages), messages


# --- the server's own local cluster --------------------------------------------------------


def test_executor_dask_without_scheduler_starts_a_local_cluster(
    server_factory: Callable[..., ServerProcess],
) -> None:
    server = server_factory(store=":memory:", extra_args=["--executor", "dask"], workers=1)
    assert "jobs on dask local cluster" in server.log()
    with Client(server.url) as procdeck_client:
        results = procdeck_client.run_process("primes_between", {"max_val": 12}, timeout=60)
        assert results.value("return_value") == [2, 3, 5, 7, 11]
        job_id = execute(procdeck_client, "sleep_a_while", duration=0.5)
        job = procdeck_client.wait_for_job(job_id, timeout=30)
    assert job.status == JobStatus.SUCCESSFUL
    assert server.stop() in (0, -15)

"""Losing the Dask scheduler: no job is left accepted or running forever.

A scheduler and one worker run as their own processes (as ``dask scheduler`` and
``dask worker`` would), the server submits to them; the test kills the scheduler.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

pytest.importorskip("distributed", reason="the dask extra is not installed")

from procdeck.client import Client
from procdeck.models import JobInfo, JobStatus
from procdeck.server.testing import ServerProcess, free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def scheduler() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Dask scheduler process with one single-threaded worker process."""
    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", port,
         "--no-dashboard"], **quiet)
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
         "--no-dashboard", "--no-nanny"], **quiet)
    try:
        from distributed import Client as DaskClient

        with DaskClient(address, timeout=30) as probe:
            probe.wait_for_workers(1, timeout=30)
        yield address, scheduler
    finally:
        for process in (worker, scheduler):
            process.kill()
            process.wait()


def wait_until(client: Client, job_id: str, predicate: Callable[[JobInfo], bool],
               timeout: float) -> JobInfo:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get_job(job_id)
        if predicate(job):
            return job
        if time.monotonic() > deadline:
            pytest.fail(f"{job_id} did not get there within {timeout} s: {job.to_dict()}")
        time.sleep(0.1)


def test_jobs_fail_when_the_scheduler_is_lost(
    scheduler: tuple[str, subprocess.Popen[bytes]],
    server_factory: Callable[..., ServerProcess],
) -> None:
    address, process = scheduler
    server = server_factory(extra_args=["--executor", "dask", "--scheduler", address])
    with Client(server.url) as client:
        running = client.execute_process("sleep_a_while", {"inputs": {"duration": 60}}).jobID
        wait_until(client, running, lambda job: job.status == JobStatus.RUNNING, 30)

        process.kill()
        job = wait_until(client, running, lambda job: job.is_final, 30)
        assert job.status == JobStatus.FAILED
        assert job.message == f"The connection to the Dask scheduler at {address} was lost"

        # A job submitted while the scheduler is gone fails too, once the
        # connection is given up (it must not stay accepted forever).
        later = client.execute_process("primes_between", {"inputs": {}}).jobID
        job = wait_until(client, later, lambda job: job.is_final, 60)
        assert job.status == JobStatus.FAILED
        assert "Dask" in (job.message or "")
        # The server itself keeps answering.
        assert client.get_job(running).status == JobStatus.FAILED

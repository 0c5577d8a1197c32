"""Execution modes against the real server: ``mode="sync"`` runs at once, ``"async"`` queues."""

from __future__ import annotations

import html
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from procdeck import AsyncClient, Client
from procdeck.client import InvalidRequestError
from procdeck.models import JobStatus

BOTH_MODES = '''
import time

from procdeck.server import ProcessRegistry

registry = ProcessRegistry()


@registry.process(id="double", job_control_options=("sync-execute", "async-execute", "dismiss"))
def double(x: int = 2) -> int:
    """Doubles x, taking a moment (so an asynchronous answer comes before the result)."""
    time.sleep(0.3)
    return 2 * x
'''


@pytest.fixture
def both_modes_server(server_factory, tmp_path: Path):
    (tmp_path / "both_modes.py").write_text(textwrap.dedent(BOTH_MODES))
    return server_factory(processes=["both_modes"], env={"PYTHONPATH": str(tmp_path)})


def test_sync_mode_returns_a_finished_job_whose_results_the_server_keeps(both_modes_server):
    with Client(both_modes_server.url) as client:
        job = client.execute_process("double", {"x": 21}, mode="sync")
        assert job.status == JobStatus.SUCCESSFUL
        assert client.get_job_results(job.jobID).value("return_value") == 42
        # The job is the server's own, not only kept in this client.
        with Client(both_modes_server.url) as other:
            assert other.get_job_results(job.jobID).value("return_value") == 42


def test_async_mode_is_the_default_and_answers_with_a_status(both_modes_server):
    with Client(both_modes_server.url) as client:
        job = client.execute_process("double", {"x": 5})
        assert job.status in (JobStatus.ACCEPTED, JobStatus.RUNNING)
        final = client.wait_for_job(job.jobID, timeout=10)
        assert final.status == JobStatus.SUCCESSFUL
        assert client.get_job_results(job.jobID).value("return_value") == 10


async def test_async_client_takes_the_mode_too(both_modes_server):
    async with AsyncClient(both_modes_server.url) as client:
        job = await client.execute_process("double", {"x": 4}, mode="sync")
        assert job.status == JobStatus.SUCCESSFUL
        results = await client.get_job_results(job.jobID)
        assert results.value("return_value") == 8


def test_an_unknown_mode_is_a_typed_error(both_modes_server):
    with Client(both_modes_server.url) as client, pytest.raises(InvalidRequestError):
        client.execute_process("double", {"x": 1}, mode="later")  # type: ignore[arg-type]


def test_fetched_results_display_with_their_job_id(live_server):
    with Client(live_server) as client:
        job = client.execute_process("primes_between", {"min_val": 2, "max_val": 10})
        client.wait_for_job(job.jobID, timeout=10)
        results = client.get_job_results(job.jobID)
        assert results.job_id == job.jobID
        page = html.unescape(results._repr_mimebundle_()["text/html"])
        assert f'client.get_job_results("{job.jobID}")["return_value"]' in page


def test_cli_execute_sync_prints_the_results_of_a_job_run_at_once(both_modes_server):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "procdeck",
            "execute",
            "double",
            "-i",
            "x=21",
            "--sync",
            "--json",
            "--server-url",
            both_modes_server.url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["return_value"] == 42
    with Client(both_modes_server.url) as client:  # run synchronously: no job left running
        jobs = client.get_jobs(process_id="double").jobs
        assert [job.status for job in jobs] == [JobStatus.SUCCESSFUL]

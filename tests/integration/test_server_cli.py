"""``procdeck serve`` options: --processes (a user's registry), --workers, bad modules."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from procdeck import Client
from procdeck.client import JobFailedError
from procdeck.models import JobStatus

pytestmark = pytest.mark.integration

USER_MODULE = '''
"""A user's own processes."""
from typing import Annotated

from pydantic import Field

from procdeck.server import JobContext, ProcessRegistry

registry = ProcessRegistry()


@registry.process(title="Greeter", job_control_options=("sync-execute",))
def greet(name: Annotated[str, Field(title="Name", min_length=1)] = "world") -> str:
    """Says hello, synchronously."""
    return f"Hello, {name}!"


@registry.process
def count_down(ctx: JobContext, start: int = 3) -> int:
    """Counts down, one report per step."""
    for value in range(start, -1, -1):
        ctx.report(100 * (start - value) / max(start, 1), f"{value} left")
    return 0
'''

EXTRA_MODULE = '''
from procdeck.server import ProcessRegistry

more = ProcessRegistry()


@more.process(id="answer")
def answer() -> int:
    return 42
'''


@pytest.fixture
def module_dir(tmp_path: Path) -> Path:
    (tmp_path / "my_processes.py").write_text(textwrap.dedent(USER_MODULE))
    (tmp_path / "more_processes.py").write_text(textwrap.dedent(EXTRA_MODULE))
    return tmp_path


def test_serve_a_users_registries(server_factory, module_dir):
    server = server_factory(
        processes=["my_processes", "more_processes:more"], env={"PYTHONPATH": str(module_dir)}
    )
    with Client(server.url) as client:
        assert [p.id for p in client.get_processes().processes] == [
            "greet", "count_down", "answer"
        ]
        assert client.get_process("greet").jobControlOptions == ["sync-execute"]
        # A sync-only process answers 200 with the results; the client keeps them.
        job = client.execute_process("greet", {"name": "Ada"})
        assert job.status == JobStatus.SUCCESSFUL
        kept = client.get_job_results(job.jobID)
        assert [kept.value(key) for key in kept] == ["Hello, Ada!"]
        # The server keeps the synchronous run as a job too.
        server_jobs = httpx.get(f"{server.url}/jobs", params={"processID": "greet"}).json()
        [server_job] = server_jobs["jobs"]
        assert server_job["status"] == "successful"
        assert httpx.get(f"{server.url}/jobs/{server_job['jobID']}/results").json() == {
            "return_value": "Hello, Ada!"
        }
        assert client.run_process("count_down", {"start": 5}, timeout=10).value(
            "return_value") == 0
        assert client.run_process("answer", timeout=10).value("return_value") == 42


def test_workers_limit_how_many_jobs_run_at_once(server_factory):
    server = server_factory(store=":memory:", workers=1)
    with Client(server.url) as client:
        first = client.execute_process("sleep_a_while", {"duration": 30})
        second = client.execute_process("sleep_a_while", {"duration": 30})
        deadline = time.monotonic() + 10
        while client.get_job(first.jobID).status != JobStatus.RUNNING:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.3)
        assert client.get_job(second.jobID).status == JobStatus.ACCEPTED
        # Dismissing the queued job means it never runs; dismissing the first frees the worker.
        assert client.dismiss_job(second.jobID).status == JobStatus.DISMISSED
        client.dismiss_job(first.jobID)
        quick = client.run_process("primes_between", {"max_val": 5}, timeout=10)
        assert quick.value("return_value") == [2, 3, 5]
        assert client.get_job(second.jobID).status == JobStatus.DISMISSED
        assert client.get_job(second.jobID).started is None


def test_simulate_scene_failure_names_a_missing_package(server_factory, tmp_path):
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "zarr.py").write_text("raise ImportError('blocked for the test', name='zarr')\n")
    server = server_factory(store=":memory:", env={"PYTHONPATH": str(blocker)})
    with Client(server.url) as client, pytest.raises(JobFailedError) as caught:
        client.run_process("simulate_scene", {"resolution": 1.0}, timeout=30)
    message = caught.value.job.message
    assert "dask, xarray and zarr" in message and "missing: zarr" in message


def test_serve_refuses_a_module_without_a_registry(tmp_path):
    (tmp_path / "empty_module.py").write_text("x = 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "procdeck", "serve", "--processes", "empty_module"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "expected a ProcessRegistry named 'registry'" in result.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "procdeck", "serve", "--processes", "no_such_module_xyz"],
        capture_output=True, text=True, timeout=60,
    )
    assert missing.returncode == 2
    assert "no_such_module_xyz" in missing.stderr

"""Restart persistence: stop or kill the real server, start it on the same store."""

from __future__ import annotations

import time

import pytest

from procdeck import Client
from procdeck.client import HTTPStatusError, NoSuchJobError, ServerError
from procdeck.models import JobStatus
from procdeck.server.store import UNCLEAN_GAP

pytestmark = pytest.mark.integration

STOPPED = "The server stopped while the job was running"


def wait_running_with_progress(client: Client, job_id: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get_job(job_id)
        if job.status == JobStatus.RUNNING and job.progress:
            return
        time.sleep(0.02)
    raise AssertionError(f"{job_id} never ran")


def number(job_id: str) -> int:
    return int(job_id.removeprefix("job_"))


def test_stop_and_start_on_the_same_store_loses_nothing(server_factory, tmp_path):
    store = tmp_path / "jobs.sqlite"
    server = server_factory(store=store)
    with Client(server.url) as client:
        ok = client.execute_process("primes_between", {"min_val": 5, "max_val": 20})
        spec = client.execute_process(
            "return_base_model", {"scene_spec": {"threshold": 1, "factor": 3}}
        )
        bad = client.execute_process("sleep_a_while", {"duration": 0.1, "fail": True})
        stopped = client.execute_process("sleep_a_while", {"duration": 30})
        removed = client.execute_process("primes_between", {})
        for job in (ok, spec, bad, removed):
            client.wait_for_job(job.jobID, timeout=10)
        wait_running_with_progress(client, stopped.jobID)
        client.dismiss_job(stopped.jobID)
        client.dismiss_job(removed.jobID)
        before = {j.jobID: j.to_dict() for j in client.get_jobs().jobs}
        ok_results = client.get_job_results(ok.jobID).to_dict()
        with pytest.raises(ServerError) as bad_before:
            client.get_job_results(bad.jobID)
    server.stop()

    again = server_factory(store=store)
    with Client(again.url) as client:
        after = {j.jobID: j.to_dict() for j in client.get_jobs().jobs}
        assert after == before
        assert list(after) == [ok.jobID, spec.jobID, bad.jobID, stopped.jobID]
        assert client.get_job_results(ok.jobID).to_dict() == ok_results == {
            "return_value": [5, 7, 11, 13, 17, 19]
        }
        assert client.get_job_results(spec.jobID).value("return_value") == {
            "threshold": 1.0, "factor": 3.0
        }
        with pytest.raises(ServerError) as bad_after:
            client.get_job_results(bad.jobID)
        assert bad_after.value.detail == bad_before.value.detail
        assert bad_after.value.traceback == bad_before.value.traceback
        assert "Failed on purpose" in bad_after.value.traceback
        with pytest.raises(HTTPStatusError):
            client.get_job_results(stopped.jobID)
        with pytest.raises(NoSuchJobError):
            client.get_job(removed.jobID)
        # Numbers continue after the highest ever used, the removed job's included.
        fresh = client.execute_process("primes_between", {})
        assert number(fresh.jobID) == number(removed.jobID) + 1


def test_a_job_running_at_a_normal_stop_is_failed_and_the_stop_is_quick(server_factory, tmp_path):
    store = tmp_path / "jobs.sqlite"
    server = server_factory(store=store)
    with Client(server.url) as client:
        job = client.execute_process("sleep_a_while", {"duration": 60})
        wait_running_with_progress(client, job.jobID)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 10

    again = server_factory(store=store)
    with Client(again.url) as client:
        info = client.get_job(job.jobID)
        assert info.status == JobStatus.FAILED
        assert info.message == STOPPED
        assert info.finished is not None
        with pytest.raises(ServerError) as caught:
            client.get_job_results(job.jobID)
        assert caught.value.detail == STOPPED


def test_a_job_running_when_the_server_is_killed_is_failed_after_restart(
    server_factory, tmp_path
):
    store = tmp_path / "jobs.sqlite"
    server = server_factory(store=store)
    with Client(server.url) as client:
        done = client.execute_process("primes_between", {"max_val": 10})
        client.wait_for_job(done.jobID, timeout=10)
        job = client.execute_process("sleep_a_while", {"duration": 60})
        wait_running_with_progress(client, job.jobID)
        time.sleep(0.2)  # the store writes behind by a few milliseconds
    server.kill()

    again = server_factory(store=store)
    with Client(again.url) as client:
        info = client.get_job(job.jobID)
        assert info.status == JobStatus.FAILED
        assert info.message == STOPPED
        assert info.progress is not None and info.progress > 0
        assert client.get_job_results(done.jobID).value("return_value") == [2, 3, 5, 7]
        # After a crash, numbering skips ahead: numbers handed out but unsaved are never reused.
        fresh = client.execute_process("primes_between", {})
        assert number(fresh.jobID) == number(job.jobID) + 1 + UNCLEAN_GAP

"""kill -9 the real server while jobs run and submissions pour in; restart it on the same store.

Nothing acknowledged is lost (a 201 is sent only after the job's row is committed),
finished jobs keep their results and errors, interrupted jobs are failed with a
message saying why, no job number is used twice, and SQLite's integrity check
passes after every kill.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from procdeck import Client
from procdeck.client import ClientError, ServerError
from procdeck.models import JobStatus

pytestmark = pytest.mark.integration

STOPPED_RUNNING = "The server stopped while the job was running"
STOPPED_BEFORE = "The server stopped before the job started"
KILL_ROUNDS = 5


def check_store(path: Path) -> None:
    """The store file after a crash: intact, in WAL mode."""
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def wait_until(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def number(job_id: str) -> int:
    return int(job_id.removeprefix("job_"))


def test_kill_while_jobs_run_keeps_finished_ones_and_fails_interrupted_ones(
    server_factory, tmp_path
):
    store = tmp_path / "jobs.sqlite"
    server = server_factory(store=store, workers=2)
    with Client(server.url) as client:
        done = [client.execute_process("primes_between", {"min_val": i, "max_val": 30 + i})
                for i in range(5)]
        spec = client.execute_process("return_base_model",
                                      {"scene_spec": {"threshold": 2, "factor": 5}})
        broken = client.execute_process("sleep_a_while", {"duration": 0.1, "fail": True})
        for job in (*done, spec, broken):
            client.wait_for_job(job.jobID, timeout=20, poll_interval=0.05)
        running = [client.execute_process("sleep_a_while", {"duration": 60}) for _ in range(2)]
        queued = client.execute_process("sleep_a_while", {"duration": 60})
        dismissed = client.execute_process("sleep_a_while", {"duration": 60})
        client.dismiss_job(dismissed.jobID)  # accepted behind the two sleepers, then dismissed
        for job in running:
            wait_until(lambda job=job: (client.get_job(job.jobID).progress or 0) > 0)
        before = {j.jobID: j.to_dict() for j in client.get_jobs().jobs}
        results = {job.jobID: client.get_job_results(job.jobID).to_dict() for job in done}
        with pytest.raises(ServerError) as failed_before:
            client.get_job_results(broken.jobID)
    server.kill()
    check_store(store)

    again = server_factory(store=store, workers=2)
    with Client(again.url) as client:
        after = {j.jobID: j for j in client.get_jobs().jobs}
        assert list(after) == list(before)  # nothing lost, nothing new, same order
        for job in (*done, spec, broken):
            assert after[job.jobID].to_dict() == before[job.jobID]  # finished: untouched
        for job_id, expected in results.items():
            assert client.get_job_results(job_id).to_dict() == expected
        assert client.get_job_results(spec.jobID).value("return_value") == {
            "threshold": 2.0, "factor": 5.0}
        with pytest.raises(ServerError) as failed_after:
            client.get_job_results(broken.jobID)
        assert failed_after.value.detail == failed_before.value.detail
        assert failed_after.value.traceback == failed_before.value.traceback
        for job in running:
            interrupted = after[job.jobID]
            assert interrupted.status == JobStatus.FAILED
            assert interrupted.message == STOPPED_RUNNING
            with pytest.raises(ServerError) as why:
                client.get_job_results(job.jobID)
            assert why.value.detail == STOPPED_RUNNING
        assert after[queued.jobID].status == JobStatus.FAILED
        assert after[queued.jobID].message == STOPPED_BEFORE
        assert after[dismissed.jobID].status == JobStatus.DISMISSED
        fresh = client.execute_process("primes_between", {})
        assert number(fresh.jobID) > max(number(j) for j in before)


class Storm:
    """Threads submitting as fast as they can; remembers every acknowledged job."""

    def __init__(self, url: str, threads: int = 6) -> None:
        self.url = url
        self.acknowledged: dict[str, dict] = {}
        self.refused = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._submit, args=(i,)) for i in range(threads)]

    def _submit(self, index: int) -> None:
        rng = random.Random(index)
        with Client(self.url, timeout=5) as client:
            while not self._stop.is_set():
                if rng.random() < 0.8:
                    process, inputs = "primes_between", {"max_val": rng.randint(2, 100)}
                else:
                    process, inputs = "sleep_a_while", {"duration": rng.uniform(0.05, 3)}
                try:
                    job = client.execute_process(process, inputs)
                except ClientError:
                    with self._lock:
                        self.refused += 1  # the server is gone: keep trying until stopped
                    time.sleep(0.01)
                    continue
                with self._lock:
                    assert job.jobID not in self.acknowledged, "an id was handed out twice"
                    self.acknowledged[job.jobID] = {"processID": job.processID,
                                                    "created": job.created}

    def __enter__(self) -> Storm:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)


def test_kill_during_a_storm_of_submissions_loses_no_acknowledged_job(server_factory, tmp_path):
    store = tmp_path / "jobs.sqlite"
    rng = random.Random(8)
    history: dict[str, dict] = {}  # every acknowledged job of every round
    for _ in range(KILL_ROUNDS):
        server = server_factory(store=store, workers=2)
        with Storm(server.url) as storm:
            wait_until(lambda storm=storm: len(storm.acknowledged) >= 20)
            time.sleep(rng.uniform(0.1, 0.6))
            server.kill()  # mid-storm: requests in flight, jobs running and queued
        check_store(store)
        for job_id, seen in storm.acknowledged.items():
            assert job_id not in history, f"{job_id} was reused"
            history[job_id] = seen

        again = server_factory(store=store, workers=2)
        with Client(again.url) as client:
            listed = {j.jobID: j for j in client.get_jobs().jobs}
        lost = sorted(set(history) - set(listed), key=number)
        assert not lost, f"{len(lost)} acknowledged job(s) lost: {lost[:10]}"
        for job_id, seen in history.items():
            job = listed[job_id]
            assert job.processID == seen["processID"] and job.created == seen["created"]
        # Nothing is left hanging: jobs of the killed server are final.
        assert all(j.is_final for j in listed.values() if j.jobID in history)
        again.stop()
        check_store(store)
    assert len(history) >= KILL_ROUNDS * 20
    print(f"crash: {KILL_ROUNDS} kill -9 mid-storm, {len(history)} acknowledged jobs, "
          f"0 lost")  # the figures, with pytest -s

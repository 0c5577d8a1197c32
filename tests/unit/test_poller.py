"""The job poller (view-model) against the real procdeck server, driven by the real client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from procdeck import AsyncClient, Client
from procdeck.gui.jobs.poller import JobDiff, JobEvent, JobPoller
from procdeck.models import JobStatus

pytestmark = pytest.mark.integration


class CountingTransport(httpx.HTTPTransport):
    """The real transport, remembering each request's method and path."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        return super().handle_request(request)


@pytest.fixture
def server(server_factory):
    """A fresh server (own store) per test, so job counts are known."""
    return server_factory()


@pytest.fixture
def transport() -> CountingTransport:
    return CountingTransport()


@pytest.fixture
def client(server, transport) -> Iterator[Client]:
    with Client(server.url, transport=transport) as client:
        yield client


def tick_until(poller: JobPoller, done: Callable[[], bool], timeout: float = 20.0,
               pause: float = 0.05) -> list[JobDiff]:
    """Tick until ``done()``; the non-empty diffs seen on the way."""
    diffs = []
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "condition not reached in time"
        diff = poller.tick()
        if diff:
            diffs.append(diff)
        time.sleep(pause)
    return diffs


def finished_job(client: Client, process_id: str = "primes_between") -> str:
    job = client.execute_process(process_id, {})
    return client.wait_for_job(job.jobID, timeout=20).jobID


def test_lifecycle_patches_exactly_its_row(server_factory) -> None:
    # One worker, kept busy by a blocker: our job waits, so "accepted" is really seen.
    server = server_factory(workers=1)
    with Client(server.url) as client:
        others = [finished_job(client), finished_job(client)]
        blocker = client.execute_process("sleep_a_while", {"duration": 0.6}).jobID
        job = client.execute_process("sleep_a_while", {"duration": 1.2})
        assert job.status == JobStatus.ACCEPTED
        poller = JobPoller(client)
        events: list[JobEvent] = []
        poller.subscribe_events(events.append)
        poller.track(job.jobID, "sleep_a_while", {"duration": 1.2}, info=job)
        first = poller.tick()
        assert set(first.new) == {*others, blocker} and not first.gone

        diffs = tick_until(poller, lambda: poller.jobs[job.jobID].is_final)
        assert all(not d.new and not d.gone for d in diffs)
        assert all(set(d.changed) <= {job.jobID, blocker} for d in diffs), "finished rows stay"
        blocker_done = next(i for i, d in enumerate(diffs)
                            if blocker in d.changed and d.changed[blocker].is_final)
        after = diffs[blocker_done + 1:]
        assert after and all(list(d.changed) == [job.jobID] for d in after), (
            "once the blocker is done, only our job's row changes")
        statuses = [JobStatus.ACCEPTED]
        for diff in diffs:
            status = diff.changed.get(job.jobID, poller.jobs[job.jobID]).status
            if job.jobID in diff.changed and status != statuses[-1]:
                statuses.append(status)
        assert statuses == [JobStatus.ACCEPTED, JobStatus.RUNNING, JobStatus.SUCCESSFUL]
        progress = [d.changed[job.jobID].progress or 0 for d in diffs if job.jobID in d.changed]
        assert progress == sorted(progress) and progress[-1] == 100, "progress only grows"
        assert [(e.job_id, e.status) for e in events] == [(job.jobID, JobStatus.SUCCESSFUL)]
        assert events[0].request == {"inputs": {"duration": 1.2}}
        assert poller.request_for(job.jobID) == {"inputs": {"duration": 1.2}}
        assert set(poller.jobs) == {*others, blocker, job.jobID}


def test_one_request_per_tick_with_paging_in_one_page(
    client: Client, transport: CountingTransport
) -> None:
    for _ in range(25):
        client.execute_process("primes_between", {})
    poller = JobPoller(client)
    transport.requests.clear()
    diff = poller.tick()
    assert len(diff.new) == 25
    assert transport.requests == [("GET", "/jobs")]
    transport.requests.clear()
    assert not poller.tick()
    assert transport.requests == [("GET", "/jobs")]


def test_new_job_is_reported_as_new(client: Client) -> None:
    before = finished_job(client)
    poller = JobPoller(client)
    poller.tick()
    seen: list[JobDiff] = []
    poller.subscribe(seen.append)
    job_id = finished_job(client)
    diff = poller.tick()
    assert list(diff.new) == [job_id]
    assert not diff.changed and not diff.gone
    assert seen == [diff]
    assert list(poller.jobs) == [before, job_id], "server order kept"
    assert not poller.tick(), "nothing changed, nothing reported"
    assert len(seen) == 1


def test_dismissed_running_job_changes_and_finished_one_goes(client: Client) -> None:
    done = finished_job(client)
    running = client.execute_process("sleep_a_while", {"duration": 30})
    poller = JobPoller(client)
    events: list[JobEvent] = []
    poller.subscribe_events(events.append)
    poller.track(running.jobID, "sleep_a_while", info=running)
    tick_until(poller, lambda: poller.jobs[running.jobID].status == JobStatus.RUNNING)

    client.dismiss_job(running.jobID)
    diffs = tick_until(poller, lambda: poller.jobs[running.jobID].is_final)
    assert all(list(d.changed) == [running.jobID] for d in diffs)
    assert poller.jobs[running.jobID].status == JobStatus.DISMISSED
    assert [(e.job_id, e.status) for e in events] == [(running.jobID, JobStatus.DISMISSED)]

    client.dismiss_job(done)  # a finished job is removed by the server
    diff = poller.tick()
    assert diff.gone == (done,) and not diff.new and not diff.changed
    assert done not in poller.jobs


async def test_dismiss_through_the_poller_shows_at_once(server) -> None:
    async with AsyncClient(server.url) as client:
        poller = JobPoller(client)
        job = await client.execute_process("sleep_a_while", {"duration": 30})
        poller.track(job.jobID, info=job)
        seen: list[JobDiff] = []
        poller.subscribe(seen.append)
        info = await poller.dismiss(job.jobID)
        assert info.status == JobStatus.DISMISSED
        assert poller.jobs[job.jobID].status == JobStatus.DISMISSED, "no tick needed"
        assert list(seen[-1].changed) == [job.jobID]


async def test_atick_with_either_client(server) -> None:
    with Client(server.url) as sync_client:
        job = sync_client.execute_process("primes_between", {})
        sync_poller = JobPoller(sync_client)
        assert job.jobID in (await sync_poller.atick()).new
    async with AsyncClient(server.url) as async_client:
        async_poller = JobPoller(async_client)
        assert job.jobID in (await async_poller.atick()).new
        with pytest.raises(TypeError, match="atick"):
            async_poller.tick()


def test_server_down_then_back(server_factory, tmp_path) -> None:
    store = tmp_path / "jobs.sqlite"
    server = server_factory(store=store)
    with Client(server.url, timeout=2.0) as client:
        job_id = finished_job(client)
        poller = JobPoller(client, fast_interval=0.1, max_backoff=1.0)
        assert job_id in poller.tick().new
        assert poller.error is None and poller.connected

        server.kill()
        diff = poller.tick()
        assert not diff, "a failed tick reports nothing (and removes nothing)"
        assert not poller.connected
        assert poller.error and "retrying" in poller.error
        assert job_id in poller.jobs
        waits = [poller.interval]
        for _ in range(4):
            poller.tick()
            waits.append(poller.interval)
        assert waits == sorted(waits) and waits[-1] == 1.0, "backs off up to max_backoff"

        server.start()  # same port, same store
        assert not poller.tick(), "the same jobs: nothing changed"
        assert poller.error is None and poller.connected
        assert poller.next_interval() == poller.slow_interval


def test_background_loop_survives_outage_and_resumes(server_factory, tmp_path) -> None:
    store = tmp_path / "jobs.sqlite"
    server = server_factory(store=store)
    with Client(server.url, timeout=2.0) as client:
        poller = JobPoller(client, fast_interval=0.05, slow_interval=0.1, max_backoff=0.3)
        poller.start()
        try:
            wait_for(lambda: poller.process_titles.get("sleep_a_while") == "Sleep Processor")
            assert poller.last_update is not None
            server.kill()
            wait_for(lambda: not poller.connected)
            assert poller.running and poller.error
            server.start()
            job_id = finished_job(client)
            wait_for(lambda: job_id in poller.jobs)
            assert poller.error is None and poller.connected and poller.running
        finally:
            poller.stop()
        assert not poller.running
        assert poller._thread is not None and not poller._thread.is_alive()


def test_paused_poller_makes_no_requests(client: Client, transport: CountingTransport) -> None:
    poller = JobPoller(client, fast_interval=0.05, slow_interval=0.05)
    poller.paused = True
    poller.start()
    try:
        time.sleep(0.4)
        assert transport.requests == []
        poller.paused = False
        wait_for(lambda: poller.last_update is not None)
    finally:
        poller.stop()


def test_pace_follows_the_jobs(client: Client) -> None:
    poller = JobPoller(client, fast_interval=0.2, slow_interval=3.0)
    poller.tick()
    assert poller.next_interval() == 3.0, "nothing running: slow"
    job = client.execute_process("sleep_a_while", {"duration": 0.6})
    poller.tick()
    assert poller.next_interval() == 0.2, "a job is running: fast"
    client.wait_for_job(job.jobID, timeout=20)
    poller.tick()
    assert poller.next_interval() == 3.0


def test_job_tracked_during_a_tick_is_kept(client: Client) -> None:
    """A job executed while a /jobs request is in flight is not reported gone by that tick."""
    poller = JobPoller(client)
    poller.tick()
    started: list[str] = []
    original = client.poll_jobs

    def poll_jobs_then_execute(feed):
        snapshot = original(feed)  # the server answered before the job existed
        job = client.execute_process("primes_between", {})
        poller.track(job.jobID, info=job)
        started.append(job.jobID)
        return snapshot

    client.poll_jobs = poll_jobs_then_execute  # type: ignore[method-assign]
    try:
        diff = poller.tick()
    finally:
        del client.poll_jobs
    assert started and started[0] in poller.jobs
    assert started[0] not in diff.gone
    client.wait_for_job(started[0], timeout=20)
    poller.tick()
    assert poller.jobs[started[0]].status == JobStatus.SUCCESSFUL, "the next tick lists it"


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_a_bug_in_a_tick_or_a_view_does_not_end_the_loop(client: Client) -> None:
    finished_job(client)
    poller = JobPoller(client, fast_interval=0.05, slow_interval=0.05, max_backoff=0.1)
    broken = {"tick": True}
    original = client.poll_jobs

    def poll_jobs(feed):
        if broken["tick"]:
            raise ValueError("boom")
        return original(feed)

    def broken_view(diff: JobDiff) -> None:
        raise RuntimeError("a view failed")

    client.poll_jobs = poll_jobs  # type: ignore[method-assign]
    poller.subscribe(broken_view)
    seen: list[JobDiff] = []
    poller.subscribe(seen.append)
    poller.start()
    try:
        wait_for(lambda: bool(poller.error) and "internal error (boom)" in poller.error)
        assert poller.running
        broken["tick"] = False
        wait_for(lambda: poller.error is None and bool(seen))
        assert poller.running, "the failing view did not stop the updates"
        assert len(seen[0].new) == 1
    finally:
        poller.stop()
        del client.poll_jobs

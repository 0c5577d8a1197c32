"""Following jobs with a JobFeed (``client.poll_jobs``) and the process titles, in the client.

List mode and the titles against the real procdeck server; a server without a job
list, one refusing the page size, and re-probing need ``httpx.MockTransport``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import client_support
import httpx
import pytest
from client_support import SERVER, Counting, Recorder, json_response

from procdeck.client import AsyncClient, BadRequestError, Client, JobFeed, JobSnapshot
from procdeck.client.feed import DEFAULT_PAGE_LIMIT
from procdeck.ogc.vocabulary import CONF_CORE, CONF_JOB_LIST

isolated_config = client_support.isolated_config

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def jobs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own with exactly three finished jobs."""
    yield from client_support.server_with_jobs(tmp_path_factory.mktemp("feed-server"), 3)


# -- list mode and titles: the real server ---------------------------------------------------


def test_list_mode_is_one_request_for_every_job(jobs_server: str) -> None:
    transport = Counting()
    with Client(jobs_server, transport=transport) as client:
        every = [job.jobID for job in client.get_jobs().jobs]
        transport.requests.clear()
        feed = JobFeed()
        snapshot = client.poll_jobs(feed)
    assert isinstance(snapshot, JobSnapshot)
    assert list(snapshot.jobs) == every and len(every) == 3
    assert snapshot.complete and snapshot.mode == feed.mode == "list"
    assert snapshot.gone == frozenset()
    assert [(url.path, url.params["limit"]) for url in transport.requests] == [
        ("/jobs", str(DEFAULT_PAGE_LIMIT))
    ]


def test_a_page_limit_below_the_job_count_is_not_complete(jobs_server: str) -> None:
    with Client(jobs_server) as client:
        snapshot = client.poll_jobs(JobFeed(page_limit=2))
    assert len(snapshot.jobs) == 2 and not snapshot.complete


def test_followed_jobs_get_their_status_from_the_list(jobs_server: str) -> None:
    with Client(jobs_server) as client:
        first = client.get_jobs().jobs[0]
        feed = JobFeed()
        feed.follow(first.jobID)
        assert feed.pending() == [first.jobID]
        client.poll_jobs(feed)
    assert feed.followed == (first.jobID,)
    assert feed.status_of(first.jobID) == first and feed.pending() == []


def test_process_titles_from_the_real_server(live_server: str) -> None:
    with Client(live_server) as client:
        titles = client.process_titles()
        expected = {p.id: p.title for p in client.get_processes().processes if p.title}
    assert titles == expected
    assert titles["sleep_a_while"] == "Sleep Processor"


def test_sync_and_async_polls_agree(jobs_server: str, live_server: str) -> None:
    with Client(jobs_server) as client:
        sync_snapshot = client.poll_jobs(JobFeed())
    with Client(live_server) as client:
        sync_titles = client.process_titles()

    async def run() -> tuple[JobSnapshot, dict[str, str]]:
        async with AsyncClient(jobs_server) as client:
            snapshot = await client.poll_jobs(JobFeed())
        async with AsyncClient(live_server) as client:
            return snapshot, await client.process_titles()

    async_snapshot, async_titles = asyncio.run(run())
    assert async_snapshot == sync_snapshot
    assert async_titles == sync_titles


# -- odd servers: mock transports ------------------------------------------------------------


class FakeClock:
    """Monotonic seconds moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _job(job_id: str, status: str) -> dict[str, Any]:
    return {"jobID": job_id, "status": status, "processID": "p"}


def _paths(server: Recorder) -> list[str]:
    return [request.url.path for request in server.requests]


def _no_job_list(status: int, conformance: list[str] | None = None) -> dict[Any, Any]:
    routes: dict[Any, Any] = {("GET", "/jobs"): json_response(status, {"title": "no"})}
    if conformance is not None:
        routes[("GET", "/conformance")] = json_response(200, {"conformsTo": conformance})
    return routes


@pytest.mark.parametrize("status", [404, 405, 501])
def test_no_job_list_turns_to_tracked_mode(status: int) -> None:
    server = Recorder(_no_job_list(status))
    with Client(SERVER, transport=httpx.MockTransport(server)) as client:
        feed = JobFeed()
        snapshot = client.poll_jobs(feed)
    assert feed.mode == snapshot.mode == "tracked"
    assert snapshot.jobs == {} and not snapshot.complete
    assert _paths(server) == ["/jobs"], "no conformance asked for these statuses"


def test_tracked_mode_follows_each_job_and_reports_gone_ones() -> None:
    states = {"a": iter(["running", "successful"])}

    def job(request: httpx.Request) -> httpx.Response:
        return json_response(200, _job("a", next(states["a"])))

    routes = {**_no_job_list(404), ("GET", "/jobs/a"): job}
    server = Recorder(routes)  # /jobs/b is unknown: 404
    with Client(SERVER, transport=httpx.MockTransport(server)) as client:
        feed = JobFeed()
        feed.follow("a")
        feed.follow("b")
        first = client.poll_jobs(feed)
        assert first.mode == "tracked"
        assert {k: str(v.status) for k, v in first.jobs.items()} == {"a": "running"}
        assert first.gone == frozenset({"b"})
        assert _paths(server) == ["/jobs", "/jobs/a", "/jobs/b"]

        server.requests.clear()
        second = client.poll_jobs(feed)
        assert str(second.jobs["a"].status) == "successful"
        assert _paths(server) == ["/jobs/a", "/jobs/b"], "no /jobs before the re-probe"

        server.requests.clear()
        third = client.poll_jobs(feed)
        assert _paths(server) == ["/jobs/b"], "a final job is not asked again"
        assert third.gone == frozenset({"b"}) and third.jobs == {}


def test_tracked_mode_probes_the_job_list_again_after_a_minute() -> None:
    clock = FakeClock()
    listing = {"answer": json_response(404, {"title": "no"})}
    server = Recorder({
        ("GET", "/jobs"): lambda request: listing["answer"],
        ("GET", "/jobs/a"): json_response(200, _job("a", "running")),
    })
    with Client(SERVER, transport=httpx.MockTransport(server)) as client:
        feed = JobFeed(clock=clock)
        feed.follow("a")
        client.poll_jobs(feed)
        clock.now += 59
        server.requests.clear()
        client.poll_jobs(feed)
        assert _paths(server) == ["/jobs/a"]

        clock.now += 2  # 61 s after the probe: /jobs is tried again, still absent
        server.requests.clear()
        assert client.poll_jobs(feed).mode == "tracked"
        assert _paths(server) == ["/jobs", "/jobs/a"]

        clock.now += 30
        server.requests.clear()
        client.poll_jobs(feed)
        assert _paths(server) == ["/jobs/a"], "the failed probe restarted the minute"

        listing["answer"] = json_response(200, {"jobs": [_job("a", "running")], "links": []})
        clock.now += 31
        server.requests.clear()
        snapshot = client.poll_jobs(feed)
        assert snapshot.mode == feed.mode == "list" and snapshot.complete
        assert _paths(server) == ["/jobs"]


def test_a_refused_page_size_is_dropped() -> None:
    def jobs(request: httpx.Request) -> httpx.Response:
        if "limit" in request.url.params:
            return json_response(400, {"title": "limit too large"})
        return json_response(200, {"jobs": [_job("a", "running")], "links": []})

    server = Recorder({("GET", "/jobs"): jobs})
    with Client(SERVER, transport=httpx.MockTransport(server)) as client:
        feed = JobFeed()
        snapshot = client.poll_jobs(feed)
        assert list(snapshot.jobs) == ["a"] and snapshot.mode == "list"
        assert feed.page_limit is None
        assert [r.url.params.get("limit") for r in server.requests] == [
            str(DEFAULT_PAGE_LIMIT), None,
        ]
        server.requests.clear()
        client.poll_jobs(feed)
        assert [r.url.params.get("limit") for r in server.requests] == [None]


def test_another_4xx_asks_the_conformance_once() -> None:
    clock = FakeClock()
    server = Recorder(_no_job_list(403, [CONF_CORE]))
    with Client(SERVER, transport=httpx.MockTransport(server)) as client:
        feed = JobFeed(page_limit=None, clock=clock)
        assert client.poll_jobs(feed).mode == "tracked"
        assert _paths(server) == ["/jobs", "/conformance"]
        assert feed.conformance == (CONF_CORE,)
        clock.now += 61
        server.requests.clear()
        client.poll_jobs(feed)
        assert _paths(server) == ["/jobs"], "the conformance is kept in the feed"


def test_a_4xx_from_a_server_with_a_job_list_is_an_error() -> None:
    server = Recorder(_no_job_list(400, [CONF_CORE, CONF_JOB_LIST]))
    with Client(SERVER, transport=httpx.MockTransport(server)) as client:
        feed = JobFeed(page_limit=None)
        with pytest.raises(BadRequestError):
            client.poll_jobs(feed)
    assert feed.mode == "list"


def test_async_tracked_mode_matches_the_sync_one() -> None:
    def routes() -> Callable[[httpx.Request], httpx.Response]:
        return Recorder({
            **_no_job_list(405),
            ("GET", "/jobs/a"): json_response(200, _job("a", "accepted")),
        })

    def follow() -> JobFeed:
        feed = JobFeed()
        feed.follow("a")
        feed.follow("gone")
        return feed

    with Client(SERVER, transport=httpx.MockTransport(routes())) as client:
        sync_snapshot = client.poll_jobs(follow())

    async def run() -> JobSnapshot:
        async with AsyncClient(SERVER, transport=httpx.MockTransport(routes())) as client:
            return await client.poll_jobs(follow())

    assert asyncio.run(run()) == sync_snapshot
    assert sync_snapshot.gone == frozenset({"gone"}) and list(sync_snapshot.jobs) == ["a"]


def test_process_titles_read_every_page() -> None:
    pages = {
        None: {"processes": [{"id": "a", "title": "A"}, {"id": "b"}],
               "links": [{"href": "/processes?page=2", "rel": "next"}]},
        "2": {"processes": [{"id": "c", "title": "C"}], "links": []},
    }
    server = Recorder({
        ("GET", "/processes"): lambda r: json_response(200, pages[r.url.params.get("page")]),
    })
    with Client(SERVER, transport=httpx.MockTransport(server)) as client:
        assert client.process_titles() == {"a": "A", "c": "C"}
    assert len(server.requests) == 2


def test_a_feed_is_http_free_state() -> None:
    feed = JobFeed(page_limit=50)
    feed.follow("x")
    feed.follow("y")
    feed.follow("x")
    assert feed.followed == ("x", "y") and feed.mode == "list" and feed.page_limit == 50
    assert not feed.probe_due()
    with pytest.raises(ValueError):
        JobFeed(page_limit=0)

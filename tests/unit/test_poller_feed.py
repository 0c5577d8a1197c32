"""The poller mirrors what its JobFeed learnt (mode, page size) and feeds it what it knows."""

from __future__ import annotations

import asyncio

import client_support
import httpx
from client_support import SERVER, Recorder, json_response

from procdeck.client import AsyncClient, Client
from procdeck.gui.jobs.poller import DEFAULT_PAGE_LIMIT, JobPoller

isolated_config = client_support.isolated_config


def _jobs(request: httpx.Request) -> httpx.Response:
    if "limit" in request.url.params:
        return json_response(422, {"title": "limit refused"})
    return json_response(200, {"jobs": [{"jobID": "a", "status": "running"}], "links": []})


def test_a_refused_page_size_shows_in_the_poller_and_can_be_set_again() -> None:
    with Client(SERVER, transport=httpx.MockTransport(Recorder({("GET", "/jobs"): _jobs}))) as c:
        poller = JobPoller(c)
        assert poller.page_limit == poller.feed.page_limit == DEFAULT_PAGE_LIMIT
        diff = poller.tick()
        assert list(diff.new) == ["a"] and poller.error is None
        assert poller.page_limit is None and poller.feed.page_limit is None
        poller.page_limit = 5
        assert poller.feed.page_limit == 5


def test_tracked_jobs_are_followed_by_the_feed_and_mode_is_mirrored() -> None:
    server = Recorder({
        ("GET", "/jobs"): json_response(404, {"title": "no job list"}),
        ("GET", "/jobs/a"): json_response(200, {"jobID": "a", "status": "successful"}),
    })

    async def run() -> JobPoller:
        async with AsyncClient(SERVER, transport=httpx.MockTransport(server)) as client:
            poller = JobPoller(client)
            poller.track("a", "p")
            await poller.atick()
            return poller

    poller = asyncio.run(run())
    assert poller.feed.followed == ("a",)
    assert poller.mode == poller.feed.mode == "tracked"
    assert str(poller.jobs["a"].status) == "successful"
    assert [r.url.path for r in server.requests] == ["/jobs", "/jobs/a"]

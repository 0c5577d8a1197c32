"""Lazy paging: iter_jobs / iter_processes and their page twins fetch a page only when reached.

Against the real procdeck server (it pages with ``limit`` and ``next`` links);
``httpx.MockTransport`` only for paging the real server does not do (offsets,
``next`` loops) and for jobs kept by the client from synchronous runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import client_support
import httpx
import pytest
from client_support import SERVER, AsyncCounting, Counting, Recorder, json_response

from procdeck.client import AsyncClient, Client

isolated_config = client_support.isolated_config

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def jobs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own with exactly five finished jobs."""
    yield from client_support.server_with_jobs(tmp_path_factory.mktemp("iter-server"), 5)


def test_iter_jobs_fetches_page_two_only_when_reached(jobs_server: str) -> None:
    transport = Counting()
    with Client(jobs_server, transport=transport) as client:
        every = [job.jobID for job in client.get_jobs().jobs]
        transport.requests.clear()
        jobs = client.iter_jobs(page_size=2)
        assert transport.requests == [], "nothing is fetched before the first item is asked"
        seen = [next(jobs).jobID, next(jobs).jobID]
        assert len(transport.requests) == 1
        seen.append(next(jobs).jobID)
        assert len(transport.requests) == 2
        assert transport.requests[1].params["after"], "page 2 follows the next link"
        seen += [job.jobID for job in jobs]
        assert seen == every and len(every) == 5
        assert len(transport.requests) == 3
        assert transport.requests[0].params["limit"] == "2"


def test_breaking_out_early_fetches_nothing_more(jobs_server: str) -> None:
    transport = Counting()
    with Client(jobs_server, transport=transport) as client:
        for index, _job in enumerate(client.iter_jobs(page_size=2)):
            if index == 1:
                break
        assert len(transport.requests) == 1
        pages = client.iter_job_pages(page_size=2)
        next(pages)
        pages.close()
        assert len(transport.requests) == 2


def test_job_pages_hold_their_own_jobs_and_next_link(jobs_server: str) -> None:
    with Client(jobs_server) as client:
        pages = list(client.iter_job_pages(page_size=2))
        every = [job.jobID for job in client.get_jobs().jobs]
    assert [len(page.jobs) for page in pages] == [2, 2, 1]
    assert [job.jobID for page in pages for job in page.jobs] == every
    assert [any(link.rel == "next" for link in page.links) for page in pages] == [
        True, True, False,
    ]


def test_iter_processes_is_lazy_and_lists_what_get_processes_does(live_server: str) -> None:
    transport = Counting()
    with Client(live_server, transport=transport) as client:
        every = [p.id for p in client.get_processes().processes]
        assert len(every) > 2, "the demo has enough processes for two pages"
        transport.requests.clear()
        processes = client.iter_processes(page_size=2)
        first = [next(processes).id, next(processes).id]
        assert len(transport.requests) == 1
        processes.close()
        assert len(transport.requests) == 1
        assert first + [p.id for p in client.iter_processes(page_size=2)][2:] == every
        assert [p.id for page in client.iter_process_pages(page_size=2)
                for p in page.processes] == every


def test_async_twins_are_lazy_and_agree_with_the_sync_client(jobs_server: str,
                                                             live_server: str) -> None:
    with Client(jobs_server) as client:
        sync_jobs = [job.jobID for job in client.iter_jobs(page_size=2)]
    with Client(live_server) as client:
        sync_processes = [p.id for p in client.iter_processes(page_size=3)]

    async def run() -> dict[str, Any]:
        transport = AsyncCounting()
        async with AsyncClient(jobs_server, transport=transport) as client:
            jobs = client.iter_jobs(page_size=2)
            first = await anext(jobs)
            await anext(jobs)
            after_two = len(transport.requests)
            await anext(jobs)
            after_three = len(transport.requests)
            await jobs.aclose()
            after_close = len(transport.requests)
            every = [job.jobID async for job in client.iter_jobs(page_size=2)]
            pages = [len(page.jobs) async for page in client.iter_job_pages(page_size=2)]
        async with AsyncClient(live_server) as client:
            processes = [p.id async for p in client.iter_processes(page_size=3)]
        return {
            "first": first.jobID, "counts": (after_two, after_three, after_close),
            "every": every, "pages": pages, "processes": processes,
        }

    seen = asyncio.run(run())
    assert seen["counts"] == (1, 2, 2)
    assert seen["first"] == sync_jobs[0]
    assert seen["every"] == sync_jobs
    assert seen["pages"] == [2, 2, 1]
    assert seen["processes"] == sync_processes


# -- paging the real server does not do ------------------------------------------------------


def _offset_pages(request: httpx.Request) -> httpx.Response:
    offset = int(request.url.params.get("offset", 0))
    stop = min(offset + 4, 10)
    jobs = [{"jobID": f"job_{i}", "status": "successful"} for i in range(offset, stop)]
    return json_response(200, {"jobs": jobs, "numberMatched": 10})


def test_offset_paging_is_lazy_too() -> None:
    server = Recorder({("GET", "/jobs"): _offset_pages})
    with Client(SERVER, transport=httpx.MockTransport(server)) as client:
        jobs = client.iter_jobs()
        assert [next(jobs).jobID for _ in range(4)] == [f"job_{i}" for i in range(4)]
        assert len(server.requests) == 1
        assert next(jobs).jobID == "job_4"
        assert [r.url.params.get("offset") for r in server.requests] == [None, "4"]
        assert [job.jobID for job in jobs][-1] == "job_9"
        assert len(server.requests) == 3


def test_a_next_loop_ends_the_iteration() -> None:
    document = {
        "jobs": [{"jobID": "a", "status": "running"}],
        "links": [{"href": "/jobs", "rel": "next"}],
    }
    server = Recorder({("GET", "/jobs"): json_response(200, document)})
    with Client(SERVER, transport=httpx.MockTransport(server)) as client:
        assert [job.jobID for job in client.iter_jobs()] == ["a"]
        assert len(server.requests) == 1


def test_jobs_kept_from_synchronous_runs_come_last_in_iter_jobs_only() -> None:
    running = {"jobID": "job_0", "status": "running", "processID": "sleep_a_while"}
    server = Recorder({
        ("POST", "/processes/sleep_a_while/execution"): json_response(200, {"return_value": 1}),
        ("GET", "/jobs"): json_response(200, {"jobs": [running], "links": []}),
    })
    with Client(SERVER, transport=httpx.MockTransport(server)) as client:
        local = client.execute_process("sleep_a_while")
        listed = [job.jobID for job in client.get_jobs().jobs]
        assert [job.jobID for job in client.iter_jobs()] == listed == ["job_0", local.jobID]
        assert [job.jobID for job in client.iter_jobs(status="failed")] == ["job_0"]
        pages = list(client.iter_job_pages())
        assert [job.jobID for page in pages for job in page.jobs] == ["job_0"]

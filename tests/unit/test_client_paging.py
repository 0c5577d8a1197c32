"""get_processes and get_jobs follow next links (and offsets) and merge the pages."""

from __future__ import annotations

import client_support
import httpx
from client_support import SERVER, Recorder, json_response

client_kind = client_support.client_kind
make_client = client_support.make_client
isolated_config = client_support.isolated_config


def _jobs(start: int, stop: int) -> list[dict]:
    return [{"jobID": f"job_{i}", "status": "successful"} for i in range(start, stop)]


def paged_jobs(total: int, page_size: int, absolute: bool = False):
    """A /jobs handler that pages with next links (relative or absolute hrefs)."""

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", 0))
        limit = int(request.url.params.get("limit", page_size))
        stop = min(offset + min(limit, page_size), total)
        links = [{"href": str(request.url), "rel": "self"}]
        if stop < total:
            href = f"/jobs?offset={stop}&limit={limit}"
            links.append({"href": f"{SERVER}{href}" if absolute else href, "rel": "next"})
        return json_response(200, {"jobs": _jobs(offset, stop), "links": links})

    return handler


def test_jobs_follow_relative_next_links(make_client) -> None:
    server = Recorder({("GET", "/jobs"): paged_jobs(total=25, page_size=10)})
    jobs = make_client(server).get_jobs()
    assert [j.jobID for j in jobs.jobs] == [f"job_{i}" for i in range(25)]
    assert len(server.requests) == 3
    assert [link.rel for link in jobs.links] == ["self"]  # no dangling next link


def test_processes_follow_absolute_next_links(make_client) -> None:
    pages = {
        "0": {
            "processes": [{"id": "a"}, {"id": "b"}],
            "links": [{"href": f"{SERVER}/processes?page=1", "rel": "next"}],
        },
        "1": {"processes": [{"id": "c"}], "links": []},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(200, pages[request.url.params.get("page", "0")])

    server = Recorder({("GET", "/processes"): handler})
    processes = make_client(server).get_processes()
    assert [p.id for p in processes.processes] == ["a", "b", "c"]


def test_limit_caps_the_items_and_keeps_the_next_link(make_client) -> None:
    server = Recorder({("GET", "/jobs"): paged_jobs(total=50, page_size=10)})
    jobs = make_client(server).get_jobs(limit=15)
    assert [j.jobID for j in jobs.jobs] == [f"job_{i}" for i in range(15)]
    assert server.requests[0].url.params["limit"] == "15"
    next_links = [link for link in jobs.links if link.rel == "next"]
    assert len(next_links) == 1 and next_links[0].href.startswith(f"{SERVER}/jobs?offset=")


def test_limit_smaller_than_a_page(make_client) -> None:
    server = Recorder(
        {
            ("GET", "/processes"): json_response(
                200, {"processes": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}
            )
        }
    )
    assert [p.id for p in make_client(server).get_processes(limit=2).processes] == ["a", "b"]
    assert server.last.url.params["limit"] == "2"


def test_offset_paging_with_number_matched_and_no_links(make_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", 0))
        return json_response(200, {"jobs": _jobs(offset, min(offset + 4, 10)), "numberMatched": 10})

    server = Recorder({("GET", "/jobs"): handler})
    jobs = make_client(server).get_jobs(status="successful")
    assert [j.jobID for j in jobs.jobs] == [f"job_{i}" for i in range(10)]
    assert [r.url.params.get("offset") for r in server.requests] == [None, "4", "8"]
    assert all(r.url.params["status"] == "successful" for r in server.requests)


def test_a_server_ignoring_offset_does_not_loop(make_client) -> None:
    server = Recorder(
        {("GET", "/jobs"): json_response(200, {"jobs": _jobs(0, 3), "numberMatched": 100})}
    )
    jobs = make_client(server).get_jobs()
    assert [j.jobID for j in jobs.jobs] == ["job_0", "job_1", "job_2"]
    assert len(server.requests) == 2


def test_a_next_link_to_itself_does_not_loop(make_client) -> None:
    document = {"jobs": _jobs(0, 2), "links": [{"href": "/jobs", "rel": "next"}]}
    server = Recorder({("GET", "/jobs"): json_response(200, document)})
    assert len(make_client(server).get_jobs().jobs) == 2
    assert len(server.requests) == 1


def test_next_link_in_a_link_header(make_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return json_response(200, {"jobs": _jobs(2, 3)})
        return httpx.Response(
            200, json={"jobs": _jobs(0, 2)}, headers={"Link": '</jobs?page=2>; rel="next"'}
        )

    server = Recorder({("GET", "/jobs"): handler})
    assert [j.jobID for j in make_client(server).get_jobs().jobs] == ["job_0", "job_1", "job_2"]


def test_a_bare_list_of_jobs_is_understood(make_client) -> None:
    server = Recorder({("GET", "/jobs"): json_response(200, _jobs(0, 2))})
    assert [j.jobID for j in make_client(server).get_jobs().jobs] == ["job_0", "job_1"]


def test_token_is_not_sent_to_another_origin(make_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "mirror.test":
            return json_response(200, {"jobs": _jobs(1, 2)})
        return json_response(
            200,
            {
                "jobs": _jobs(0, 1),
                "links": [{"href": "http://mirror.test/jobs?p=2", "rel": "next"}],
            },
        )

    requests: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return handler(request)

    client = make_client(recording, access_token="tok")
    assert [j.jobID for j in client.get_jobs().jobs] == ["job_0", "job_1"]
    assert requests[0].headers["authorization"] == "Bearer tok"
    assert "authorization" not in requests[1].headers


def test_paging_keeps_extra_members_of_the_first_page(make_client) -> None:
    server = Recorder(
        {
            ("GET", "/jobs"): json_response(
                200, {"jobs": _jobs(0, 1), "numberMatched": 1, "links": []}
            )
        }
    )
    jobs = make_client(server).get_jobs()
    assert jobs.model_extra == {"numberMatched": 1}

"""``GET /processes`` with ``limit``: pages with ``next`` links (/req/core/pl-limit-*)."""

from __future__ import annotations

import httpx
import pytest

from procdeck import Client

pytestmark = pytest.mark.integration


def _ids(body: dict) -> list[str]:
    return [process["id"] for process in body["processes"]]


def _next(body: dict) -> str | None:
    return next((item["href"] for item in body["links"] if item["rel"] == "next"), None)


def test_limit_pages_through_every_process_in_the_order_of_the_whole_list(
        live_server: str) -> None:
    whole = httpx.get(f"{live_server}/processes").json()
    assert _next(whole) is None and len(whole["processes"]) > 2
    url: str | None = f"{live_server}/processes?limit=2"
    pages = []
    while url is not None:
        body = httpx.get(url).json()
        pages.append(_ids(body))
        url = _next(body)
    assert all(len(page) <= 2 for page in pages)
    assert [pid for page in pages for pid in page] == _ids(whole)
    assert len(pages) == -(-len(whole["processes"]) // 2)


def test_a_limit_of_all_or_more_has_no_next_link(live_server: str) -> None:
    count = len(httpx.get(f"{live_server}/processes").json()["processes"])
    body = httpx.get(f"{live_server}/processes", params={"limit": count}).json()
    assert len(body["processes"]) == count and _next(body) is None


@pytest.mark.parametrize("query", ["limit=0", "limit=-1", "limit=ten", "limit=10001",
                                   "after=no_such_process"])
def test_a_bad_limit_or_cursor_is_a_400_problem(live_server: str, query: str) -> None:
    response = httpx.get(f"{live_server}/processes?{query}")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_client_asks_for_a_limit_and_gets_that_many(live_server: str) -> None:
    with Client(live_server) as client:
        every = [p.id for p in client.get_processes().processes]
        assert [p.id for p in client.get_processes(limit=2).processes] == every[:2]

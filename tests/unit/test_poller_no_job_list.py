"""The poller against a server that serves no ``/jobs``: it follows this session's jobs.

The server is the real procdeck app (uvicorn, in a thread) behind a small ASGI
filter that hides ``GET /jobs`` and, optionally, the ``job-list`` conformance
class, the way some servers in the wild do.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from procdeck import Client
from procdeck.gui.jobs.poller import JobPoller
from procdeck.models import JobStatus
from procdeck.ogc.vocabulary import CONF_JOB_LIST
from procdeck.server.app import create_app
from procdeck.server.testing import free_port

pytestmark = pytest.mark.integration


def without_job_list(app: Any, status: int, hide_conformance: bool) -> Any:
    """``app`` with ``/jobs`` answering ``status`` and, optionally, no job-list conformance."""

    async def filtered(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "").rstrip("/")
        if scope["type"] == "http" and path == "/jobs":
            body = json.dumps({"type": "about:blank", "title": "Not here", "status": status})
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/problem+json")]})
            await send({"type": "http.response.body", "body": body.encode()})
            return
        if scope["type"] == "http" and path == "/conformance" and hide_conformance:
            await app(scope, receive, _strip_job_list(send))
            return
        await app(scope, receive, send)

    return filtered


def _strip_job_list(send: Any) -> Any:
    started: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def rewrite(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        document = json.loads(b"".join(chunks))
        document["conformsTo"] = [c for c in document["conformsTo"] if c != CONF_JOB_LIST]
        body = json.dumps(document).encode()
        headers = [(k, v) for k, v in started["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**started, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return rewrite


class ThreadedServer:
    """uvicorn serving an ASGI app on a free loopback port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)


class CountingTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        return super().handle_request(request)


@pytest.fixture(params=[(404, False), (405, False), (400, True)],
                ids=["404", "405", "400-no-conformance"])
def hidden_jobs_url(request: pytest.FixtureRequest) -> Iterator[str]:
    status, hide_conformance = request.param
    app = without_job_list(create_app(), status, hide_conformance)
    with ThreadedServer(app) as server:
        yield server.url


def test_follows_this_sessions_jobs_one_by_one(hidden_jobs_url: str) -> None:
    transport = CountingTransport()
    with Client(hidden_jobs_url, transport=transport) as client:
        poller = JobPoller(client)
        assert not poller.tick()
        assert poller.mode == "tracked" and poller.error is None and poller.connected

        other = client.execute_process("primes_between", {})  # not this session's: never shown
        mine = client.execute_process("sleep_a_while", {"duration": 0.8})
        poller.track(mine.jobID, "sleep_a_while", {"duration": 0.8}, info=mine)
        transport.requests.clear()
        poller.tick()
        assert transport.requests == [("GET", f"/jobs/{mine.jobID}")], "one request per job"

        deadline = time.monotonic() + 20
        while not poller.jobs[mine.jobID].is_final:
            assert time.monotonic() < deadline
            diff = poller.tick()
            assert set(diff.changed) <= {mine.jobID} and not diff.new and not diff.gone
            time.sleep(0.05)
        assert poller.jobs[mine.jobID].status == JobStatus.SUCCESSFUL
        assert other.jobID not in poller.jobs

        transport.requests.clear()
        assert not poller.tick()
        assert transport.requests == [], "final jobs are not asked again"

        asyncio.run(poller.dismiss(mine.jobID))  # removed on the server; shown dismissed here
        assert poller.jobs[mine.jobID].status == JobStatus.DISMISSED

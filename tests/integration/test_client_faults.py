"""Faults between the client and the real server become typed errors, and the client survives.

The server goes down before the first call and in the middle of a session (SIGKILL, also
while a ``wait_for_job`` runs) and comes back on the same port and store; a
:class:`fault_proxy.FaultProxy` in front of the real server answers with a gateway's
HTML 502, a 503 problem, a plain-text 500, an HTML page instead of JSON, malformed or
truncated JSON, a connection reset or too slowly. Every case raises the documented
``ClientError`` subclass with a message naming the request (never a raw httpx or pydantic
exception), and the *same* client object works again once the fault is gone. Every test
runs with the sync ``Client`` and the ``AsyncClient``.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest

from fault_proxy import PORTAL_PAGE, FaultProxy
from procdeck.client import (
    AsyncClient,
    Client,
    ClientError,
    ConnectionFailedError,
    InvalidResponseError,
    RequestTimeoutError,
    ServerError,
)
from procdeck.models import JobStatus
from procdeck.server.testing import ServerProcess

pytestmark = pytest.mark.integration

FAST = {"poll_interval": 0.05, "max_interval": 0.2}
TIMEOUT = 1.0  # the client's timeout behind the proxy: a "slow" answer takes 3 s


class AsyncAsSync:
    """Runs an AsyncClient's coroutine methods to completion on a private loop."""

    def __init__(self, client: AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if inspect.iscoroutinefunction(attr):
            return lambda *args, **kwargs: self._loop.run_until_complete(attr(*args, **kwargs))
        return attr


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("PROCDECK_SERVER_URL", "PROCDECK_ACCESS_TOKEN", "PROCDECK_USER_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROCDECK_CONFIG", str(tmp_path / "absent.toml"))


@pytest.fixture(params=["sync", "async"])
def connect(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``connect(url, **kwargs)``: a Client, or an AsyncClient behind a sync facade."""
    loop = asyncio.new_event_loop()
    made: list[Any] = []

    def make(url: str, **kwargs: Any) -> Any:
        if request.param == "sync":
            client: Any = Client(url, **kwargs)
        else:
            client = AsyncAsSync(AsyncClient(url, **kwargs), loop)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
    loop.close()


def assert_typed(error: ClientError, expected: type[ClientError], url: str) -> None:
    """The documented class, a message naming the request, the raw cause kept aside."""
    assert type(error) is expected, f"{type(error).__name__}: {error}"
    assert url in str(error)
    assert "Traceback" not in str(error)
    assert not isinstance(error, httpx.HTTPError | pydantic.ValidationError)


# -- the real server goes away and comes back ------------------------------------------------


def test_server_down_at_start_then_up(connect, server_factory) -> None:
    server = server_factory(store=":memory:")
    server.stop()  # its port is known and nobody listens there
    client = connect(server.url)
    calls: dict[str, Callable[[], Any]] = {
        "/": client.get_capabilities,
        "/processes": client.get_processes,
        "/jobs": client.get_jobs,
        "/processes/primes_between/execution":
            lambda: client.execute_process("primes_between", {"max_val": 5}),
    }
    for path, call in calls.items():
        with pytest.raises(ConnectionFailedError) as info:
            call()
        assert_typed(info.value, ConnectionFailedError, server.url + path)
        assert "cannot connect" in str(info.value) and info.value.status is None
    server.start()
    assert "primes_between" in [p.id for p in client.get_processes().processes]
    job = client.execute_process("primes_between", {"max_val": 5})
    assert client.wait_for_job(job.jobID, timeout=30, **FAST).status == JobStatus.SUCCESSFUL


def test_server_killed_mid_session_then_restarted_on_the_same_store(
        connect, server_factory, tmp_path: Path) -> None:
    server = server_factory(store=tmp_path / "jobs.sqlite")
    client = connect(server.url)
    job = client.execute_process("primes_between", {"min_val": 2, "max_val": 11})
    assert client.wait_for_job(job.jobID, timeout=30, **FAST).status == JobStatus.SUCCESSFUL
    assert client.get_jobs().jobs  # the pool now holds a kept-alive connection

    server.kill()
    calls: list[Callable[[], Any]] = [
        client.get_capabilities, client.get_processes, client.get_jobs,
        lambda: client.get_process("primes_between"),
        lambda: client.get_job(job.jobID),
        lambda: client.get_job_results(job.jobID),
        lambda: client.execute_process("primes_between", {"max_val": 5}),
        lambda: client.dismiss_job(job.jobID),
    ]
    for call in calls:
        with pytest.raises(ConnectionFailedError) as info:
            call()
        assert_typed(info.value, ConnectionFailedError, server.url)

    server.start()  # same port, same store: the same client carries on
    assert client.get_job(job.jobID).status == JobStatus.SUCCESSFUL
    assert client.get_job_results(job.jobID).value("return_value") == [2, 3, 5, 7, 11]
    again = client.execute_process("primes_between", {"max_val": 7})
    assert client.wait_for_job(again.jobID, timeout=30, **FAST).status == JobStatus.SUCCESSFUL


def test_a_wait_fails_fast_when_the_server_dies_under_it(connect, server_factory) -> None:
    server = server_factory()
    client = connect(server.url)
    job = client.execute_process("sleep_a_while", {"duration": 60})
    killer = threading.Timer(1.0, server.kill)
    killer.start()
    started = time.monotonic()
    try:
        with pytest.raises(ConnectionFailedError) as info:
            client.wait_for_job(job.jobID, timeout=60, **FAST)
    finally:
        killer.join()
    assert_typed(info.value, ConnectionFailedError, f"{server.url}/jobs/{job.jobID}")
    assert time.monotonic() - started < 10, "the wait noticed the dead server at its next poll"


# -- a misbehaving gateway in front of the real server --------------------------------------


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultProxy]:
    root = tmp_path_factory.mktemp("client-faults")
    with ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data",
                       log_path=root / "server.log") as server, FaultProxy(server.url) as proxy:
        yield proxy
        print(f"\nclient faults injected by the proxy: {sum(proxy.injected.values())} "
              f"{dict(proxy.injected)}")


@pytest.fixture
def proxy(proxied: FaultProxy) -> Iterator[FaultProxy]:
    proxied.clear()
    yield proxied
    proxied.clear()


FAULT_CASES = [
    # kind, expected error, status, words in the message
    ("html_502", ServerError, 502, "502 Bad Gateway: HTML page: 502 Bad Gateway"),
    ("json_503", ServerError, 503, "down for maintenance"),
    ("text_500", ServerError, 500, "500 Internal Server Error"),
    ("html_200", InvalidResponseError, 200, "HTML page (Sign in to the network)"),
    ("malformed_json", InvalidResponseError, 200, "malformed JSON"),
    ("truncated", InvalidResponseError, None, "truncated body"),
    ("reset", ConnectionFailedError, None, "connection failed"),
    ("slow", RequestTimeoutError, None, "timed out"),
]


@pytest.mark.parametrize(("kind", "expected", "status", "words"), FAULT_CASES,
                         ids=[case[0] for case in FAULT_CASES])
def test_each_fault_is_a_typed_error_and_the_same_client_recovers(
        connect, proxy: FaultProxy, kind: str, expected: type[ClientError], status: int | None,
        words: str) -> None:
    client = connect(proxy.url, timeout=TIMEOUT)
    job = client.execute_process("primes_between", {"min_val": 2, "max_val": 7})
    assert client.wait_for_job(job.jobID, timeout=30, **FAST).status == JobStatus.SUCCESSFUL
    reads: dict[str, Callable[[], Any]] = {
        "/": client.get_capabilities,
        "/conformance": client.get_conformance,
        "/processes": client.get_processes,
        "/processes/primes_between": lambda: client.get_process("primes_between"),
        "/jobs": client.get_jobs,
        f"/jobs/{job.jobID}": lambda: client.get_job(job.jobID),
        f"/jobs/{job.jobID}/results": lambda: client.get_job_results(job.jobID),
    }
    healthy = {path: read() for path, read in reads.items()}

    proxy.set_fault(kind, delay=3 * TIMEOUT)
    before = proxy.injected[kind]
    failing = dict(reads)
    if kind == "html_200":
        # A raw result may be an HTML page (an output of type text/html): kept as text,
        # under the only output of the job's process (known from the job's status).
        raw = failing.pop(f"/jobs/{job.jobID}/results")()
        assert raw.to_dict() == {
            "return_value": {"value": PORTAL_PAGE, "mediaType": "text/html"}}
    for path, read in failing.items():
        started = time.monotonic()
        with pytest.raises(ClientError) as info:
            read()
        assert_typed(info.value, expected, proxy.url + path)
        assert words in str(info.value), str(info.value)
        assert info.value.status == status
        assert time.monotonic() - started < TIMEOUT + 2, "no call hangs past the timeout"
    assert proxy.injected[kind] - before == len(reads)

    proxy.clear()
    for path, read in reads.items():
        answer = read()
        if path != "/jobs":  # the job list may hold other tests' jobs by now
            assert answer == healthy[path], path
    assert job.jobID in [j.jobID for j in client.get_jobs().jobs]


@pytest.mark.parametrize("kind", ["html_502", "json_503", "text_500", "reset"])
def test_an_execute_refused_by_the_gateway_starts_no_job(connect, proxy: FaultProxy,
                                                         kind: str) -> None:
    client = connect(proxy.url, timeout=TIMEOUT)
    known = {j.jobID for j in client.get_jobs().jobs}
    proxy.set_fault(kind, paths=["/processes"])
    with pytest.raises(ClientError) as info:
        client.execute_process("primes_between", {"max_val": 5})
    assert isinstance(info.value, ServerError | ConnectionFailedError)
    assert "POST" in str(info.value) and "/processes/primes_between/execution" in str(info.value)
    proxy.clear()
    assert {j.jobID for j in client.get_jobs().jobs} == known  # nothing half-started


def test_an_answer_lost_after_the_server_acted_leaves_the_job_findable(
        connect, proxy: FaultProxy) -> None:
    """A POST whose answer is cut off may still have started the job: listing finds it."""
    client = connect(proxy.url, timeout=TIMEOUT)
    known = {j.jobID for j in client.get_jobs().jobs}
    proxy.set_fault("truncated", paths=["/processes"])
    with pytest.raises(InvalidResponseError, match="truncated body"):
        client.execute_process("primes_between", {"min_val": 3, "max_val": 3})
    proxy.clear()
    started = [j for j in client.get_jobs(process_id="primes_between").jobs
               if j.jobID not in known]
    assert len(started) == 1
    final = client.wait_for_job(started[0].jobID, timeout=30, **FAST)
    assert final.status == JobStatus.SUCCESSFUL
    assert client.get_job_results(final.jobID).value("return_value") == [3]


def test_a_fault_in_the_middle_of_a_wait_is_raised_then_the_wait_can_resume(
        connect, proxy: FaultProxy) -> None:
    client = connect(proxy.url, timeout=TIMEOUT)
    job = client.execute_process("sleep_a_while", {"duration": 1.5})
    # the third status poll of this job gets a gateway error
    proxy.set_fault("html_502", paths=[f"/jobs/{job.jobID}"], skip=2, count=1)
    with pytest.raises(ServerError) as info:
        client.wait_for_job(job.jobID, timeout=30, **FAST)
    assert info.value.status == 502 and info.value.url == f"{proxy.url}/jobs/{job.jobID}"
    assert proxy.fault is None or proxy.injected["html_502"] >= 1
    assert client.wait_for_job(job.jobID, timeout=30, **FAST).status == JobStatus.SUCCESSFUL

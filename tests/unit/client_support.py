"""Helpers for the client unit tests: both clients behind one sync facade, odd raw servers.

Unit tests use ``httpx.MockTransport`` for server behaviour the real procdeck
server cannot produce; :class:`RawServer` is a real loopback socket for
transport failures (truncated bodies, resets, silence).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from procdeck.client import AsyncClient, Client

SERVER = "http://server.test"
Handler = Callable[[httpx.Request], httpx.Response]


class AsyncAsSync:
    """An AsyncClient whose coroutine methods run to completion on a private event loop.

    Lets one test body check the sync and the async client alike.
    """

    def __init__(self, client: AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if inspect.iscoroutinefunction(attr):
            return lambda *args, **kwargs: self._loop.run_until_complete(attr(*args, **kwargs))
        return attr

    def __repr__(self) -> str:
        return repr(self._client)

    @property
    def wrapped(self) -> AsyncClient:
        return self._client


def json_response(status: int, document: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=document, headers=headers)


def isolate_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """No PROCDECK_* variable, HOME and the config file inside ``tmp_path``."""
    for name in ("PROCDECK_SERVER_URL", "PROCDECK_ACCESS_TOKEN", "PROCDECK_USER_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    config = tmp_path / "procdeck-config.toml"
    monkeypatch.setenv("PROCDECK_CONFIG", str(config))
    return config


@pytest.fixture(autouse=True)
def isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    return isolate_config(monkeypatch, tmp_path)


@pytest.fixture(params=["sync", "async"])
def client_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_client(client_kind: str) -> Iterator[Callable[..., Any]]:
    """``make_client(handler=None, **kwargs)``: a Client, or an AsyncClient behind AsyncAsSync."""
    loop = asyncio.new_event_loop()
    made: list[Any] = []

    def make(handler: Handler | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("server_url", SERVER)
        if handler is not None:
            kwargs["transport"] = httpx.MockTransport(handler)
        if client_kind == "sync":
            client: Any = Client(**kwargs)
        else:
            client = AsyncAsSync(AsyncClient(**kwargs), loop)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
    loop.close()


class Recorder:
    """A MockTransport handler answering from a route table and recording every request."""

    def __init__(self, routes: dict[tuple[str, str], Any] | None = None) -> None:
        self.routes = dict(routes or {})
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get((request.method, request.url.path))
        if answer is None:
            return json_response(404, {"title": "Not Found", "status": 404})
        if callable(answer):
            return answer(request)
        return answer

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def last_json(self) -> Any:
        return json.loads(self.last.content)


class RawServer:
    """A loopback TCP server that answers every connection with ``respond(conn)``.

    ``respond`` gets the accepted socket after the request head was read.
    """

    def __init__(self, respond: Callable[[socket.socket], None]) -> None:
        self._respond = respond
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.05)  # so that close() is noticed quickly
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                try:
                    self._respond(conn)
                except OSError:
                    continue

    def close(self) -> None:
        self._stopped.set()
        self._sock.close()
        self._thread.join(timeout=5)


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Counting(httpx.HTTPTransport):
    """The real transport, remembering each request's URL."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.URL] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url)
        return super().handle_request(request)


class AsyncCounting(httpx.AsyncHTTPTransport):
    """The real async transport, remembering each request's URL."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.URL] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url)
        return await super().handle_async_request(request)


def server_with_jobs(root: Any, count: int) -> Iterator[str]:
    """A real server of its own (store under ``root``) holding exactly ``count`` finished
    ``primes_between`` jobs; yields its URL (for a module fixture), stops it after."""
    from procdeck.server.testing import ServerProcess

    server = ServerProcess(
        store=root / "jobs.sqlite", data_dir=root / "data", log_path=root / "server.log"
    )
    server.start()
    try:
        with Client(server.url) as client:
            for _ in range(count):
                job = client.execute_process("primes_between", {})
                client.wait_for_job(job.jobID, timeout=20)
        yield server.url
    finally:
        server.stop()

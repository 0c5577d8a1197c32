"""Real network failures on loopback sockets: refused, reset, silent, truncated, slow."""

from __future__ import annotations

import socket
import threading
import time

import client_support
import pytest
from client_support import RawServer, closed_port

from procdeck.client import ConnectionFailedError, InvalidResponseError, RequestTimeoutError

client_kind = client_support.client_kind
make_client = client_support.make_client
isolated_config = client_support.isolated_config


@pytest.fixture
def raw_server():
    servers: list[RawServer] = []

    def start(respond) -> RawServer:
        server = RawServer(respond)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_connection_refused(make_client) -> None:
    port = closed_port()
    client = make_client(server_url=f"http://127.0.0.1:{port}")
    with pytest.raises(ConnectionFailedError) as info:
        client.get_processes()
    message = str(info.value)
    assert message.startswith(f"GET http://127.0.0.1:{port}/processes: cannot connect")
    assert "refused" in message.lower()
    assert info.value.url == f"http://127.0.0.1:{port}/processes"


def test_connection_reset_before_an_answer(make_client, raw_server) -> None:
    def reset(conn: socket.socket) -> None:
        # SO_LINGER 0 turns close() into a TCP reset.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")

    server = raw_server(reset)
    with pytest.raises(ConnectionFailedError, match="connection failed"):
        make_client(server_url=server.url).get_jobs()


def test_closed_without_an_answer(make_client, raw_server) -> None:
    server = raw_server(lambda conn: None)
    with pytest.raises(ConnectionFailedError, match="connection failed"):
        make_client(server_url=server.url).get_job("j")


def test_truncated_body(make_client, raw_server) -> None:
    def truncated(conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
            b'{"jobs": [{"jobID": "job_0", "sta'
        )

    server = raw_server(truncated)
    with pytest.raises(InvalidResponseError, match="truncated body") as info:
        make_client(server_url=server.url).get_jobs()
    assert f"{server.url}/jobs" in str(info.value)


def test_silent_server_times_out(make_client, raw_server) -> None:
    released = threading.Event()
    server = raw_server(lambda conn: released.wait(5))
    client = make_client(server_url=server.url, timeout=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(RequestTimeoutError, match="timed out while waiting for the answer"):
            client.get_capabilities()
    finally:
        released.set()
    assert time.monotonic() - started < 3


def test_a_good_answer_over_a_real_socket(make_client, raw_server) -> None:
    body = b'{"conformsTo": ["http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core"]}'

    def good(conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    server = raw_server(good)
    conformance = make_client(server_url=server.url).get_conformance()
    assert conformance.conformsTo[0].endswith("/conf/core")


def _first_connection_closed_then(body: bytes):
    """A respond function: the first connection closes unanswered (a keep-alive that ran
    out as the request left), later ones get ``body``; ``seen`` counts connections."""
    seen: list[int] = []

    def respond(conn: socket.socket) -> None:
        seen.append(1)
        if len(seen) == 1:
            return
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    return respond, seen


def test_a_read_on_a_connection_closed_unanswered_is_sent_once_more(
        make_client, raw_server) -> None:
    body = b'{"conformsTo": ["http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core"]}'
    respond, seen = _first_connection_closed_then(body)
    server = raw_server(respond)
    conformance = make_client(server_url=server.url).get_conformance()
    assert conformance.conformsTo[0].endswith("/conf/core") and len(seen) == 2


def test_an_execute_request_is_never_sent_twice(make_client, raw_server) -> None:
    respond, seen = _first_connection_closed_then(b'{"jobID": "j", "status": "accepted"}')
    server = raw_server(respond)
    with pytest.raises(ConnectionFailedError, match="connection failed"):
        make_client(server_url=server.url).execute_process("p", {"x": 1})
    assert len(seen) == 1  # a second job must not be started behind the user's back

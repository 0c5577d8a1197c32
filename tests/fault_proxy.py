"""A loopback HTTP proxy in front of a real server that can be switched into fault modes.

The real procdeck server never sends a proxy's HTML 502 page, malformed or truncated
JSON, or answers slowly; a real network path in front of it does. :class:`FaultProxy`
forwards every request to the real server (``upstream``) and, while a fault is set,
answers matching requests the broken way instead. Clients and the app under test talk
to :attr:`FaultProxy.url` over real sockets, so what they see is what they would see
behind a misbehaving gateway.

Faults (:data:`FAULTS`):

- ``html_502``: a gateway's HTML error page (status 502, ``text/html``);
- ``json_503``: an RFC 7807 problem, status 503 (a server in maintenance);
- ``text_500``: status 500 with a plain-text body;
- ``html_200``: status 200 with an HTML page where JSON was expected (a captive portal);
- ``malformed_json``: the server's real answer with its JSON broken (framing intact);
- ``truncated``: the server's real answer cut in half, then the connection closed;
- ``reset``: the connection reset (TCP RST) before any answer;
- ``slow``: the real answer, but only after ``delay`` seconds.

Runs its own asyncio loop in a daemon thread; ``set_fault`` and ``clear`` may be
called from any thread. :attr:`FaultProxy.injected` counts the faults served by kind.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

__all__ = ["FAULTS", "Fault", "FaultProxy"]

FAULTS = ("html_502", "json_503", "text_500", "html_200", "malformed_json", "truncated",
          "reset", "slow")

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
    "</body>\r\n</html>\r\n"
)
PORTAL_PAGE = (
    "<!doctype html><html><head><title>Sign in to the network</title></head>"
    "<body><form><input name=user><input name=password type=password></form></body></html>"
)
MAINTENANCE = {
    "type": "about:blank",
    "title": "Service Unavailable",
    "status": 503,
    "detail": "The processing service is down for maintenance.",
}
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length",
               "content-encoding", "proxy-connection", "te", "upgrade", "host"}
_REASONS = {200: "OK", 201: "Created", 204: "No Content", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass(frozen=True)
class Fault:
    """One fault mode: which ``kind``, for which paths, how many times.

    ``paths``: exact paths or path prefixes (``/jobs`` matches ``/jobs`` and
    ``/jobs/job_1``; ``/`` only the landing page; ``=/processes`` only ``/processes``);
    ``None`` means every path.
    ``skip``: matching requests passed through before the fault starts;
    ``count``: faulty answers before the proxy heals by itself (``None``: until cleared).
    """

    kind: str
    paths: tuple[str, ...] | None = None
    delay: float = 5.0
    skip: int = 0
    count: int | None = None

    def matches(self, path: str) -> bool:
        """True when the fault applies to a request for ``path``."""
        if self.paths is None:
            return True
        return any(path == p.removeprefix("=") if p.startswith("=") or p == "/"
                   else path == p or path.startswith(p.rstrip("/") + "/")
                   for p in self.paths)


class FaultProxy:
    """Forwards to ``upstream`` (a base URL) and injects the fault set with :meth:`set_fault`."""

    def __init__(self, upstream: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.host = host
        self.port = port
        self.injected: Counter[str] = Counter()
        self.forwarded = 0
        self.requests: list[str] = []
        self._fault: Fault | None = None
        self._seen = 0  # matching requests since the fault was set
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._startup_error: BaseException | None = None

    @property
    def url(self) -> str:
        """The proxy's base URL (give this to the client or the app)."""
        return f"http://{self.host}:{self.port}"

    # -- control (any thread) ---------------------------------------------------------------

    def set_fault(self, kind: str, *, paths: Iterable[str] | None = None, delay: float = 5.0,
                  skip: int = 0, count: int | None = None) -> None:
        """Answer matching requests with fault ``kind`` from now on (see :data:`FAULTS`)."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULTS}")
        with self._lock:
            self._fault = Fault(kind, tuple(paths) if paths is not None else None, delay,
                                skip, count)
            self._seen = 0

    def clear(self) -> None:
        """Forward everything again."""
        with self._lock:
            self._fault = None

    @property
    def fault(self) -> Fault | None:
        """The fault in force, if any."""
        return self._fault

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            fault = self._fault
            if fault is None or not fault.matches(path):
                return None
            self._seen += 1
            if self._seen <= fault.skip:
                return None
            if fault.count is not None and self._seen > fault.skip + fault.count:
                self._fault = None
                return None
            self.injected[fault.kind] += 1
            return fault

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        """Listen (on a free port unless one was given) and return once ready."""
        self._thread = threading.Thread(target=self._serve, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the fault proxy did not start")
        if self._startup_error is not None:
            raise RuntimeError("the fault proxy did not start") from self._startup_error
        return self

    def stop(self) -> None:
        """Stop listening and end the thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, self.host, self.port)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            self._upstream_client = httpx.AsyncClient(timeout=60.0)
        except BaseException as error:  # reported by start()
            self._startup_error = error
            self._started.set()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            loop.run_until_complete(self._upstream_client.aclose())
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

    # -- one connection ---------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                method, target, headers, body = request
                keep_open = await self._answer(writer, method, target, headers, body)
                if not keep_open:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away: nothing to answer
        except asyncio.CancelledError:
            return  # the proxy is stopping (ending normally keeps asyncio's stream quiet)
        finally:
            if not writer.is_closing():
                writer.close()

    async def _answer(self, writer: asyncio.StreamWriter, method: str, target: str,
                      headers: list[tuple[str, str]], body: bytes) -> bool:
        path = urlsplit(target).path or "/"
        self.requests.append(f"{method} {target}")
        fault = self._fault_for(path)
        kind = fault.kind if fault else None
        if kind == "reset":
            _reset(writer)
            return False
        if kind == "html_502":
            await _write(writer, 502, "text/html", NGINX_502.encode())
            return True
        if kind == "json_503":
            await _write(writer, 503, "application/problem+json",
                         json.dumps(MAINTENANCE).encode())
            return True
        if kind == "text_500":
            await _write(writer, 500, "text/plain", b"Internal Server Error")
            return True
        if kind == "html_200":
            await _write(writer, 200, "text/html", PORTAL_PAGE.encode())
            return True
        if kind == "slow" and fault is not None:
            await asyncio.sleep(fault.delay)
        try:
            upstream = await self._upstream_client.request(
                method, self.upstream + target, content=body,
                headers=[(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP],
            )
        except httpx.TransportError:  # the real server is down: what a gateway says
            await _write(writer, 502, "text/html", NGINX_502.encode())
            return True
        self.forwarded += 1
        content = upstream.content
        extra = [(k, v) for k, v in upstream.headers.multi_items()
                 if k.lower() not in _HOP_BY_HOP and k.lower() != "content-type"]
        content_type = upstream.headers.get("content-type", "application/octet-stream")
        if kind == "malformed_json":
            content = content[: len(content) // 2] + b'"\x00,]}{'
            await _write(writer, upstream.status_code, content_type, content, extra)
            return True
        if kind == "truncated":
            declared = len(content)
            await _write(writer, upstream.status_code, content_type, content[: declared // 2],
                         extra, content_length=declared)
            writer.close()
            return False
        await _write(writer, upstream.status_code, content_type, content, extra)
        return True


async def _read_request(
    reader: asyncio.StreamReader,
) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    body = await reader.readexactly(length) if length else b""
    return method, target, headers, body


async def _write(writer: asyncio.StreamWriter, status: int, content_type: str, content: bytes,
                 extra: list[tuple[str, str]] | None = None, *,
                 content_length: int | None = None) -> None:
    length = len(content) if content_length is None else content_length
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
             f"Content-Type: {content_type}", f"Content-Length: {length}"]
    lines += [f"{k}: {v}" for k, v in extra or []]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + content)
    await writer.drain()


def _reset(writer: asyncio.StreamWriter) -> None:
    # SO_LINGER with a zero timeout turns the close into a TCP reset.
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()

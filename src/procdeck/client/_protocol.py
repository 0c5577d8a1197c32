"""The steps a client flow asks its driver to perform.

Every client operation is written once, as a generator (a *flow*) that yields
steps and receives their outcome: a :class:`Call` is answered with the
``httpx.Response``, a :class:`Download` with the response whose body went to its sink,
a :class:`Sleep` and a :class:`Notify` with ``None``. The
sync :class:`~procdeck.client.Client` drives flows with blocking I/O, the
:class:`~procdeck.client.AsyncClient` with ``await``. So paging, polling and the
interpretation of every answer live in one place and the two clients stay thin.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx

T = TypeVar("T")
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP request to send."""

    method: str
    url: str
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    @property
    def display_url(self) -> str:
        """The URL with its query, for messages."""
        if not self.params:
            return self.url
        return str(httpx.URL(self.url, params=self.params))

    def __repr__(self) -> str:
        # Calls show up in tracebacks with locals: never with the access token.
        headers = {k: "****" if k.lower() in _SECRET_HEADERS else v
                   for k, v in self.headers.items()}
        return (f"Call(method={self.method!r}, url={self.url!r}, params={self.params!r}, "
                f"headers={headers!r}, body={self.body!r})")


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait before the next step."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Notify:
    """Call the user's callback (sync, or awaited on the async client when it returns one)."""

    callback: Callable[[Any], Any]
    value: Any


class Sink(Protocol):
    """Where a :class:`Download` streams a response body to."""

    def begin(self, response: httpx.Response) -> bool:
        """Look at the status and headers: True to stream the body here, False to read it whole
        (an error answer, which the flow then reports). May raise to refuse the body."""
        ...

    def write(self, chunk: bytes) -> None:
        """Take the next part of the body (may raise: too large, disk full)."""
        ...

    def end(self) -> None:
        """The whole body arrived."""
        ...

    def abort(self) -> None:
        """The transfer broke off: drop what was written."""
        ...


@dataclass(frozen=True, slots=True)
class Download:
    """Send ``call`` and stream the body of a successful answer into ``sink``.

    Answered with the response (its body already consumed by the sink, or read
    whole when the sink declined it).
    """

    call: Call
    sink: Sink


Step = Call | Download | Sleep | Notify
Flow = Generator[Step, httpx.Response | None, T]

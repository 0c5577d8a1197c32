"""The steps a client flow asks its driver to perform.

Every client operation is written once, as a generator (a *flow*) that yields
steps and receives their outcome: a :class:`Call` is answered with the
``httpx.Response``, a :class:`Sleep` and a :class:`Notify` with ``None``. The
sync :class:`~procdeck.client.Client` drives flows with blocking I/O, the
:class:`~procdeck.client.AsyncClient` with ``await``. So paging, polling and the
interpretation of every answer live in one place and the two clients stay thin.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

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


Step = Call | Sleep | Notify
Flow = Generator[Step, httpx.Response | None, T]

"""Connection state of the app: is the server reachable, and when do we try again.

:class:`ConnectionMonitor` is a view-model (no widgets): every client call the
app makes reports its outcome to it, and :meth:`ConnectionMonitor.tick` (called
by a periodic callback, cheap when nothing is due) probes the server: every few
seconds while online, with exponential backoff while offline. When a probe
succeeds after a failure, the ``on_recover`` callbacks run (the app reloads
what it could not load).

:meth:`ConnectionMonitor.call` is how the app's view-models call the client: off
the event loop thread (see :func:`procdeck.gui.runtime.call_client`), with the
outcome reported here.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import param

from procdeck._util.backoff import Backoff
from procdeck._util.urls import mask_url
from procdeck.client.errors import ClientError, ConnectionFailedError, RequestTimeoutError
from procdeck.gui.runtime import call_client

__all__ = [
    "Backoff",
    "ConnectionMonitor",
    "ConnectionStatus",
    "describe_error",
    "is_connection_error",
    "offline_reason",
]

T = TypeVar("T")

MAX_REASON = 60  # characters of a server's error title shown in the connection badge


class ConnectionStatus:
    """The values of :attr:`ConnectionMonitor.status`."""

    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"


def is_connection_error(error: BaseException) -> bool:
    """True when ``error`` means the server was not reached (refused, reset, timed out)."""
    return isinstance(error, ConnectionFailedError | RequestTimeoutError | OSError)


def describe_error(error: BaseException) -> tuple[str, str]:
    """A short title and a detail for ``error``, as a person should read them.

    ``ClientError`` carries the server's RFC 7807 ``title`` and ``detail``;
    anything else is reduced to its class name and message (never a traceback).
    """
    title = getattr(error, "title", None)
    detail = getattr(error, "detail", None)
    status = getattr(error, "status", None)
    message = str(error) or type(error).__name__
    if not title:
        # an unusable 200 answer is no "Error 200": name the kind of failure instead
        title = (f"Error {status}" if isinstance(status, int) and status >= 400
                 else _humanize(type(error).__name__))
    if not detail:
        detail = message if message != title else ""
    return str(title), str(detail)


def offline_reason(error: BaseException) -> str:
    """A few words on why the server is not usable: unreachable, too slow, or what it answered."""
    if isinstance(error, RequestTimeoutError):
        return "no answer in time"
    if is_connection_error(error):
        return "server unreachable"
    title = describe_error(error)[0]  # it answered, but badly: "Error 502", "Invalid response"
    return title if len(title) <= MAX_REASON else title[: MAX_REASON - 1] + "…"


def _humanize(class_name: str) -> str:
    words: list[str] = []
    for char in class_name:
        if char.isupper() and words:
            words.append(" ")
        words.append(char)
    text = "".join(words).replace(" Error", "").strip()
    return text[:1].upper() + text[1:].lower() if text else "Error"


class ConnectionMonitor(param.Parameterized):
    """Whether the server answers, and when the next probe is due.

    ``probe`` is a coroutine function that raises when the server is not
    reachable (the app passes a cheap client call, the landing page).
    ``server_url`` is the client's; it is masked here, once (the monitor is what
    shows it), so a password in it never reaches the page.
    """

    status = param.Selector(
        default=ConnectionStatus.CONNECTING,
        objects=[ConnectionStatus.CONNECTING, ConnectionStatus.ONLINE, ConnectionStatus.OFFLINE],
        doc="connecting (nothing known yet), online or offline",
    )
    message = param.String(default="Connecting…", doc="What a person should read about it")
    server_url = param.String(default="", constant=True,
                              doc="The server the app talks to (password masked)")
    retry_at = param.Number(default=None, allow_None=True, doc="time.monotonic() of next try")
    retry_in_s = param.Integer(
        default=None, allow_None=True,
        doc="Whole seconds until the next try while offline, kept current by tick "
            "(0: any moment now; None while online)",
    )
    failures = param.Integer(default=0, doc="Failed probes in a row")
    detail = param.String(default="", doc="What the last failure said")
    reason = param.String(default="", doc="Short reason while offline, e.g. 'server unreachable'")

    def __init__(
        self,
        probe: Callable[[], Awaitable[Any]],
        *,
        server_url: str = "",
        healthy_interval: float = 5.0,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        **params: Any,
    ) -> None:
        super().__init__(server_url=mask_url(server_url) if server_url else "", **params)
        self._probe = probe
        self._clock = clock
        self.healthy_interval = healthy_interval
        self.backoff = backoff or Backoff()
        self._next_probe = clock()
        # A flag, not a lock or a shared task: a check while a probe runs answers at once
        # with what is known, it does not wait for that probe.
        self._probing = False
        self._recover_callbacks: list[Callable[[], Any]] = []

    @property
    def is_online(self) -> bool:
        """True when the last call or probe reached the server."""
        return self.status == ConnectionStatus.ONLINE

    def on_recover(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` (sync or async) whenever the server answers again after a failure."""
        self._recover_callbacks.append(callback)

    def retry_in(self) -> float | None:
        """Seconds until the next try while offline (``None`` when online)."""
        if self.retry_at is None:
            return None
        return max(0.0, self.retry_at - self._clock())

    async def call(self, func: Callable[..., Awaitable[T] | T], /, *args: Any) -> T:
        """``func(*args)`` off the event loop, its outcome reported here; raises what it raises.

        A connection failure takes the monitor offline; any answer brings it online.
        """
        try:
            result = await call_client(func, *args)
        except Exception as error:
            if is_connection_error(error):
                self.report_failure(error)
            raise
        if not self.is_online:
            await self.report_success()
        return result

    async def report_success(self) -> None:
        """A call reached the server."""
        was_offline = self.status != ConnectionStatus.ONLINE
        self.backoff.reset()
        self._next_probe = self._clock() + self.healthy_interval
        self.param.update(
            status=ConnectionStatus.ONLINE,
            message=f"Connected to {self.server_url}" if self.server_url else "Connected",
            retry_at=None,
            retry_in_s=None,
            failures=0,
            detail="",
            reason="",
        )
        if was_offline:
            for callback in list(self._recover_callbacks):
                result = callback()
                if inspect.isawaitable(result):
                    await result

    def report_failure(self, error: BaseException) -> None:
        """A call could not reach the server: go offline and schedule a retry with backoff."""
        delay = self.backoff.next_delay()
        self._next_probe = self._clock() + delay
        title, detail = describe_error(error)
        where = f" {self.server_url}" if self.server_url else ""
        self.param.update(
            status=ConnectionStatus.OFFLINE,
            message=f"Server{where} unreachable ({title}). Retrying…",
            retry_at=self._next_probe,
            retry_in_s=self._whole_seconds(delay),
            failures=self.failures + 1,
            detail=detail,
            reason=offline_reason(error),
        )

    def is_due(self) -> bool:
        """True when a probe should run now."""
        return not self._probing and self._clock() >= self._next_probe

    async def check(self) -> bool:
        """Probe the server now; returns whether it answered."""
        if self._probing:
            return self.is_online
        self._probing = True
        try:
            await self._probe()
        except (ClientError, OSError) as error:  # the server is not usable right now
            self.report_failure(error)
            return False
        finally:
            self._probing = False
        await self.report_success()
        return True

    async def tick(self) -> None:
        """Probe if one is due (call this often, e.g. every half second); while offline,
        keep :attr:`retry_in_s` current."""
        if self.is_due():
            await self.check()
        wait = self.retry_in()
        if wait is not None:
            self.retry_in_s = self._whole_seconds(wait)

    def retry_now(self) -> None:
        """Make the next :meth:`tick` probe at once (the "Retry now" button)."""
        self._next_probe = self._clock()

    @staticmethod
    def _whole_seconds(wait: float) -> int:
        # rounded as the badge has always shown it; under a second is "any moment now"
        return round(wait) if wait >= 1 else 0

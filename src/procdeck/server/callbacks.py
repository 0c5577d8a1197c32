"""Callbacks (OGC API - Processes 1.0, conformance class ``callback``, clause 13).

An execute request may carry ``"subscriber": {"successUri", "inProgressUri",
"failedUri"}``; the server then pushes what a client would otherwise poll for.
The 1.0 text says little beyond that (clause 13 and ``subscriber.yaml``): its
OpenAPI example (``callbacks.yaml``, ``jobCompleted``) POSTs a ``results``
document to ``successUri``, and "multiple callbacks [are possible] for getting
progress updates and notifications of the success or failure". Our reading:

- ``successUri`` receives, once the job is successful, its results document
  (what ``GET /jobs/{id}/results`` gives with ``response: document``, the
  outputs the request chose, references pointing below the job's URL);
- ``failedUri`` receives, once the job failed, the RFC 7807 exception of the
  failed job (what ``GET /jobs/{id}/results`` answers for it, status 500);
- ``inProgressUri`` receives the job's ``statusInfo`` at its status and
  progress changes before success or failure: accepted, running, each progress
  report, and dismissed (which no other URI covers). These are coalesced and
  rate limited per job (newest state wins, at most one POST per
  ``progress_interval``), and one still queued is sent before the final one.

``subscriber.yaml`` requires ``successUrl`` (an erratum: the property is
``successUri``), and some clients send ``successUrl``/``inProgressUrl``/
``failedUrl``: both spellings are accepted; a subscriber without a success URI
is refused, as the schema requires one.

Callbacks are requests the caller makes the server send. Only ``http``/``https``
URIs to hosts the operator allows (``procdeck serve --callback-host``) are
accepted; with none allowed every subscriber is refused. Loopback is not allowed
by default: it would let any caller reach services listening only locally.
Redirects are not followed (they could lead past the allow-list).

Delivery (:class:`CallbackDeliverer`) runs on one background thread with a
bounded queue, short timeouts and bounded retries with exponential backoff, so
a dead or slow receiver never delays a job, never grows memory without bound
and never holds up shutdown for longer than ``shutdown_timeout``. Every
attempt is recorded (:class:`Attempt`) through the ``record`` callable (the job
store), and served at ``GET /jobs/{jobId}/callbacks``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from procdeck import __version__
from procdeck._util.backoff import backoff_delay
from procdeck.ogc.vocabulary import MEDIA_JSON, REL_MONITOR
from procdeck.server.errors import ProblemError

__all__ = [
    "FAILED",
    "IN_PROGRESS",
    "SUCCESS",
    "Attempt",
    "CallbackDeliverer",
    "CallbackSettings",
    "Subscription",
    "parse_subscriber",
]

log = logging.getLogger("procdeck.server")

Kind = Literal["success", "failed", "inProgress"]
SUCCESS: Kind = "success"
FAILED: Kind = "failed"
IN_PROGRESS: Kind = "inProgress"

# kind -> (the standard's member, the erratum spelling some clients send)
_MEMBERS: dict[Kind, tuple[str, str]] = {
    SUCCESS: ("successUri", "successUrl"),
    IN_PROGRESS: ("inProgressUri", "inProgressUrl"),
    FAILED: ("failedUri", "failedUrl"),
}
_SCHEMES = frozenset({"http", "https"})
_RETRIED_STATUSES = frozenset({408, 425, 429})
_MAX_URI_LENGTH = 2048
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class CallbackSettings:
    """Who may be called back and how hard the server tries.

    ``allowed_hosts``: host names or addresses callbacks may go to (compared
    case-insensitively with the URI's host; no wildcards). Empty: every
    subscriber is refused. A delivery is tried up to ``attempts`` times; after
    attempt *n* fails the next waits ``backoff * 2**(n-1)`` seconds, at most
    ``max_backoff``. Each attempt waits at most ``timeout`` seconds. At most
    ``max_pending`` deliveries wait at once (more are dropped and recorded);
    ``inProgress`` notices of one job go out at most once per
    ``progress_interval`` seconds. At shutdown the deliverer gets
    ``shutdown_timeout`` seconds to finish, then gives up on what is left.
    """

    allowed_hosts: frozenset[str] = frozenset()
    timeout: float = 5.0
    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 2.0
    max_pending: int = 1000
    progress_interval: float = 1.0
    shutdown_timeout: float = 2.0

    def __post_init__(self) -> None:
        hosts = frozenset(_host_name(host) for host in self.allowed_hosts)
        object.__setattr__(self, "allowed_hosts", hosts)
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        for name in ("timeout", "backoff", "max_backoff", "progress_interval",
                     "shutdown_timeout"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    @classmethod
    def allowing(cls, hosts: Iterable[str], **options: Any) -> CallbackSettings:
        """Settings that allow callbacks to ``hosts`` (other options as the fields)."""
        return cls(allowed_hosts=frozenset(hosts), **options)

    def retry_delay(self, attempt: int) -> float | None:
        """Seconds to wait after failed attempt number ``attempt`` (1-based); None: give up."""
        if attempt >= self.attempts:
            return None
        return backoff_delay(attempt, initial=self.backoff, maximum=self.max_backoff)


def _host_name(host: str) -> str:
    return host.strip().strip("[]").lower().rstrip(".")


@dataclass(frozen=True)
class Subscription:
    """The checked callback URIs of one job, and the job's base URL for links."""

    success: str | None = None
    in_progress: str | None = None
    failed: str | None = None
    base_url: str = ""
    """The server's base URL as the submitting client reached it (for the job's links)."""

    def uri(self, kind: Kind) -> str | None:
        """The URI for notices of ``kind``, if the subscriber gave one."""
        return {SUCCESS: self.success, IN_PROGRESS: self.in_progress, FAILED: self.failed}[kind]

    def job_url(self, job_id: str) -> str:
        """The job's absolute URL."""
        return f"{self.base_url}/jobs/{job_id}"

    def to_dict(self) -> dict[str, str]:
        """The subscriber in the standard's spelling (absent URIs left out)."""
        return {_MEMBERS[kind][0]: uri for kind in _MEMBERS
                if (uri := self.uri(kind)) is not None}


def parse_subscriber(
    value: Any, settings: CallbackSettings, base_url: str = ""
) -> Subscription | None:
    """The execute request's ``subscriber`` member, checked; None when absent.

    Raises a 400 :class:`ProblemError` (before any job exists) when it is not
    an object, lacks the success URI, gives a URI twice (both spellings), a
    URI that is not ``http``/``https``, or one whose host the operator did not
    allow (the problem names the host and how to allow it). Unknown members
    are ignored.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ProblemError(400, "Invalid subscriber", "'subscriber' must be an object of URIs")
    uris: dict[Kind, str | None] = {}
    for kind, (standard, erratum) in _MEMBERS.items():
        given = {name: value[name] for name in (standard, erratum) if value.get(name) is not None}
        if len(given) == 2 and given[standard] != given[erratum]:
            raise ProblemError(400, "Invalid subscriber",
                               f"subscriber gives both {standard!r} and {erratum!r}; send one")
        name, uri = next(iter(given.items()), (standard, None))
        if uri is not None:
            check_callback_uri(f"subscriber.{name}", uri, settings)
        uris[kind] = uri
    if uris[SUCCESS] is None:
        raise ProblemError(400, "Invalid subscriber",
                           "subscriber needs 'successUri' (subscriber.yaml requires it)")
    return Subscription(uris[SUCCESS], uris[IN_PROGRESS], uris[FAILED], base_url.rstrip("/"))


def check_callback_uri(member: str, uri: Any, settings: CallbackSettings) -> None:
    """400 unless ``uri`` is an http(s) URI to a host in ``settings.allowed_hosts``."""
    if not isinstance(uri, str) or not uri:
        raise ProblemError(400, "Invalid subscriber", f"{member} must be a URI string")
    shown = uri if len(uri) <= 200 else uri[:200] + "..."
    if len(uri) > _MAX_URI_LENGTH:
        raise ProblemError(400, "Invalid subscriber",
                           f"{member} is longer than {_MAX_URI_LENGTH} characters")
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ProblemError(400, "Invalid subscriber", f"{member} {shown!r}: {exc}") from exc
    if parts.scheme.lower() not in _SCHEMES:
        raise ProblemError(
            400, "Callback scheme not allowed",
            f"{member} {shown!r}: only http and https callbacks are sent, not "
            f"{parts.scheme or 'a URI without scheme'!r}",
        )
    if not host:
        raise ProblemError(400, "Invalid subscriber", f"{member} {shown!r} names no host")
    host = _host_name(host)
    try:
        sent_to = _host_name(httpx.URL(uri).host)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ProblemError(400, "Invalid subscriber", f"{member} {shown!r}: {exc}") from exc
    if sent_to != host:  # the client that sends must reach the host that was checked
        raise ProblemError(400, "Invalid subscriber", f"{member} {shown!r}: ambiguous host")
    if host not in settings.allowed_hosts:
        if settings.allowed_hosts:
            allowed = f"allowed: {', '.join(sorted(settings.allowed_hosts))}"
        else:
            allowed = "this server allows no callback hosts"
        raise ProblemError(
            400, "Callback host not allowed",
            f"{member}: host {host!r} is not allowed for callbacks ({allowed}); the operator "
            f"allows a host with 'procdeck serve --callback-host {host}'",
            host=host, allowedHosts=sorted(settings.allowed_hosts),
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivery attempt (or a delivery given up on before an attempt: ``attempt`` 0)."""

    job_seq: int
    job_id: str
    kind: Kind
    uri: str
    attempt: int
    time: str
    status: int | None = None
    """The receiver's HTTP status, or None when no answer came."""
    error: str | None = None
    """Why the attempt failed (transport error, non-2xx answer, dropped), or None."""

    @property
    def ok(self) -> bool:
        """True when the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300

    def to_dict(self) -> dict[str, Any]:
        """As ``GET /jobs/{jobId}/callbacks`` lists it."""
        return {"kind": self.kind, "uri": self.uri, "attempt": self.attempt,
                "time": self.time, "status": self.status, "error": self.error,
                "delivered": self.ok}


Body = bytes | Callable[[], bytes]


@dataclass(eq=False)
class _Delivery:
    job_seq: int
    job_id: str
    kind: Kind
    uri: str
    body: Body
    media_type: str
    link: str | None
    due: float
    attempts: int = 0
    queued: bool = field(default=True)


def _now() -> str:
    return datetime.now(UTC).strftime(_TIME_FORMAT)


class CallbackDeliverer:
    """POSTs callback notices on one background thread (see the module text).

    :meth:`deliver` never blocks on the network: it queues (or coalesces) and
    returns. ``record(attempt)`` is called on the delivery thread for every
    attempt and for every notice dropped or abandoned; ``transport`` replaces
    httpx's network transport (tests).
    """

    def __init__(
        self,
        settings: CallbackSettings,
        record: Callable[[Attempt], None],
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._record_to = record
        self._transport = transport
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Delivery]] = []
        self._order = itertools.count()
        self._size = 0  # queued deliveries (the heap may also hold superseded entries)
        self._progress: dict[str, _Delivery] = {}  # job id -> its queued inProgress notice
        self._last_progress: dict[str, float] = {}  # job id -> when its last one went out
        self._finals: dict[str, int] = {}  # job id -> final notices queued or in flight
        # dropped notices, recorded later by the delivery thread (deliver() must stay quick)
        self._unrecorded: deque[Attempt] = deque(maxlen=settings.max_pending)
        self._closing = False
        self._deadline = float("inf")
        self._thread: threading.Thread | None = None
        self.dropped = 0
        """Notices dropped because the queue was full."""
        self.abandoned = 0
        """Notices still queued when shutdown gave up on them."""

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start the delivery thread (once)."""
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="procdeck-callbacks",
                                                daemon=True)
                self._thread.start()

    def close(self, timeout: float | None = None) -> bool:
        """Stop taking notices; deliver what is due within ``timeout``, then give up.

        ``timeout`` defaults to ``settings.shutdown_timeout``. What is left
        (retries not due yet, a receiver still not answering) is recorded as
        abandoned. Returns True when everything queued was delivered or failed
        for good, False when something was abandoned.
        """
        wait = self.settings.shutdown_timeout if timeout is None else timeout
        with self._cond:
            if self._closing:
                return self._size == 0
            self._closing = True
            self._deadline = time.monotonic() + wait
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(wait + 0.5)
            if thread.is_alive():
                log.warning("callbacks: a receiver still had not answered at shutdown; "
                            "its notice is abandoned")
        left = self._take_all()
        self._record_dropped()
        for delivery in left:
            self._record(delivery, 0, error="not delivered: the server shut down first")
        self.abandoned += len(left)
        return not left and (thread is None or not thread.is_alive())

    @property
    def pending(self) -> int:
        """Notices queued (waiting to be sent or retried)."""
        with self._cond:
            return self._size

    # -- queueing ---------------------------------------------------------------------

    def deliver(
        self,
        job_seq: int,
        job_id: str,
        kind: Kind,
        uri: str,
        body: Body,
        *,
        media_type: str = MEDIA_JSON,
        link: str | None = None,
    ) -> bool:
        """Queue a notice; False when it was refused (closing, or the queue is full).

        ``body`` is the JSON to POST, or a function making it (called once, on
        the delivery thread). An ``inProgress`` notice replaces the job's
        queued one, if any (coalescing). A final notice moves the job's queued
        ``inProgress`` notice to the front, or drops it when it is a retry.
        ``link`` is the job's URL, sent as ``Link: <...>; rel="monitor"``.
        """
        with self._cond:
            if self._closing:
                return False
            now = time.monotonic()
            if kind == IN_PROGRESS:
                queued = self._progress.get(job_id)
                if queued is not None:
                    queued.body, queued.uri = body, uri
                    return True
                last = self._last_progress.get(job_id)
                due = now if last is None else max(now, last + self.settings.progress_interval)
            else:
                due = now
                self._flush_progress(job_id, now)
            delivery = _Delivery(job_seq, job_id, kind, uri, body, media_type, link, due)
            if self._size < self.settings.max_pending:
                self._push(delivery)
                if kind == IN_PROGRESS:
                    self._progress[job_id] = delivery
                else:
                    self._finals[job_id] = self._finals.get(job_id, 0) + 1
                return True
            self.dropped += 1
            dropped = self.dropped
            # beyond max_pending unrecorded drops only the count remains
            self._unrecorded.append(Attempt(job_seq, job_id, kind, uri, 0, _now(),
                                            error="not delivered: the callback queue was full"))
        if dropped == 1 or dropped % 100 == 0:
            log.warning("callbacks: queue full (%d waiting); %d notice(s) dropped so far",
                        self.settings.max_pending, dropped)
        return False

    def _push(self, delivery: _Delivery) -> None:
        """Queue ``delivery`` (lock held)."""
        delivery.queued = True
        heapq.heappush(self._heap, (delivery.due, next(self._order), delivery))
        self._size += 1
        self._cond.notify_all()

    def _flush_progress(self, job_id: str, now: float) -> None:
        """Before a final notice (lock held): send the queued progress first, drop a retry."""
        queued = self._progress.pop(job_id, None)
        self._last_progress.pop(job_id, None)
        if queued is None:
            return
        queued.queued = False  # its heap entry is now superseded
        self._size -= 1
        if queued.attempts == 0:
            queued.due = now
            self._push(queued)

    def _take_all(self) -> list[_Delivery]:
        with self._cond:
            live = {id(entry[2]): entry[2] for entry in self._heap
                    if entry[2].queued and entry[0] == entry[2].due}
            left = list(live.values())
            self._heap.clear()
            self._progress.clear()
            self._size = 0
        return left

    # -- the delivery thread ------------------------------------------------------------

    def _next(self) -> _Delivery | None:
        """The next due delivery (waiting for it); None when closing and nothing is left."""
        with self._cond:
            while True:
                while self._heap and (not self._heap[0][2].queued
                                      or self._heap[0][0] != self._heap[0][2].due):
                    heapq.heappop(self._heap)  # superseded
                now = time.monotonic()
                if self._closing and (not self._heap or now >= self._deadline
                                      or self._heap[0][0] > self._deadline):
                    return None
                if self._heap and self._heap[0][0] <= now:
                    delivery = heapq.heappop(self._heap)[2]
                    delivery.queued = False
                    self._size -= 1
                    if self._progress.get(delivery.job_id) is delivery:
                        del self._progress[delivery.job_id]
                    return delivery
                wait = (self._heap[0][0] - now) if self._heap else None
                if self._closing:
                    wait = min(wait if wait is not None else float("inf"), self._deadline - now)
                self._cond.wait(wait)

    def _run(self) -> None:
        timeout = httpx.Timeout(self.settings.timeout, connect=min(self.settings.timeout, 2.0))
        headers = {"User-Agent": f"procdeck/{__version__} (callback)"}
        with httpx.Client(timeout=timeout, headers=headers, follow_redirects=False,
                          transport=self._transport, trust_env=False) as http:
            while (delivery := self._next()) is not None:
                self._attempt(http, delivery)
                self._record_dropped()

    def _attempt(self, http: httpx.Client, delivery: _Delivery) -> None:
        delivery.attempts += 1
        number = delivery.attempts
        if callable(delivery.body):
            try:
                delivery.body = delivery.body()
            except Exception as exc:  # a notice that cannot be made is recorded, not retried
                log.exception("callbacks: could not make the %s notice of %s",
                              delivery.kind, delivery.job_id)
                self._record(delivery, number, error=f"not sent: {type(exc).__name__}: {exc}")
                self._done(delivery)
                return
        headers = {"Content-Type": delivery.media_type}
        if delivery.link:
            headers["Link"] = f'<{delivery.link}>; rel="{REL_MONITOR}"'
        status: int | None = None
        error: str | None = None
        try:
            response = http.post(delivery.uri, content=delivery.body, headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status} {response.reason_phrase}".rstrip()
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if delivery.kind == IN_PROGRESS:
            with self._cond:
                self._last_progress[delivery.job_id] = time.monotonic()
                self._prune_progress_times()
        self._record(delivery, number, status, error)
        retry = error is not None and (status is None or status >= 500
                                       or status in _RETRIED_STATUSES)
        delay = self.settings.retry_delay(number) if retry else None
        if delay is not None and self._requeue(delivery, delay):
            return
        self._done(delivery)

    def _requeue(self, delivery: _Delivery, delay: float) -> bool:
        """Queue a retry; False when it is pointless (closing too soon, or superseded)."""
        with self._cond:
            due = time.monotonic() + delay
            if self._closing and due > self._deadline:
                return False
            if delivery.kind == IN_PROGRESS:
                if delivery.job_id in self._progress or delivery.job_id in self._finals:
                    return False  # a newer status, or the final notice, is on its way
                self._progress[delivery.job_id] = delivery
            delivery.due = due
            self._push(delivery)
            return True

    def _done(self, delivery: _Delivery) -> None:
        if delivery.kind == IN_PROGRESS:
            return
        with self._cond:
            left = self._finals.get(delivery.job_id, 0) - 1
            if left > 0:
                self._finals[delivery.job_id] = left
            else:
                self._finals.pop(delivery.job_id, None)

    def _prune_progress_times(self) -> None:
        """Keep ``_last_progress`` bounded: times older than the interval no longer matter."""
        if len(self._last_progress) <= self.settings.max_pending:
            return
        horizon = time.monotonic() - self.settings.progress_interval
        for job_id in [j for j, t in self._last_progress.items() if t < horizon]:
            del self._last_progress[job_id]

    def _record_dropped(self) -> None:
        with self._cond:
            dropped, self._unrecorded = list(self._unrecorded), deque(
                maxlen=self.settings.max_pending)
        for entry in dropped:
            self._save(entry)

    def _record(self, delivery: _Delivery, attempt: int, status: int | None = None,
                error: str | None = None) -> None:
        self._save(Attempt(delivery.job_seq, delivery.job_id, delivery.kind, delivery.uri,
                           attempt, _now(), status, error))

    def _save(self, entry: Attempt) -> None:
        try:
            self._record_to(entry)
        except Exception as exc:  # the store may be closed at shutdown: log, keep delivering
            log.warning("callbacks: could not record a %s attempt for %s: %s",
                        entry.kind, entry.job_id, exc)

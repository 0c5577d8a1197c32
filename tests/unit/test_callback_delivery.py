"""The callback deliverer's retries, bounds, coalescing and shutdown; subscriber checks.

The deliverer runs its real thread and its real httpx client; only the network
is replaced, by httpx's own ``MockTransport`` (a handler answering in-process).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from procdeck.server.callbacks import (
    FAILED,
    IN_PROGRESS,
    SUCCESS,
    Attempt,
    CallbackDeliverer,
    CallbackSettings,
    parse_subscriber,
)
from procdeck.server.errors import ProblemError

URI = "http://receiver.test/hook"
FAST = {"backoff": 0.05, "max_backoff": 0.2, "timeout": 1.0}


class Recorder:
    """Collects attempts; waits for a number of them."""

    def __init__(self) -> None:
        self.attempts: list[Attempt] = []
        self._cond = threading.Condition()

    def __call__(self, attempt: Attempt) -> None:
        with self._cond:
            self.attempts.append(attempt)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Attempt]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.attempts) >= count, timeout), \
                self.attempts
            return list(self.attempts)


class Receiver:
    """A MockTransport handler answering from a script; keeps what was POSTed and when."""

    def __init__(self, answers: Callable[[int], int] = lambda n: 200,
                 gate: threading.Event | None = None) -> None:
        self.answers = answers
        self.gate = gate
        self.requests: list[tuple[float, httpx.Request, bytes]] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.gate is not None:
            self.gate.wait(10)
        with self._lock:
            self.requests.append((time.monotonic(), request, request.read()))
            number = len(self.requests)
        status = self.answers(number)
        if status < 0:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(status)

    @property
    def bodies(self) -> list[bytes]:
        return [body for _, _, body in self.requests]


@pytest.fixture
def make() -> Iterator[Callable[..., tuple[CallbackDeliverer, Recorder]]]:
    made: list[CallbackDeliverer] = []

    def build(receiver: Receiver, **options: object) -> tuple[CallbackDeliverer, Recorder]:
        recorder = Recorder()
        settings = CallbackSettings.allowing(["receiver.test"], **{**FAST, **options})
        deliverer = CallbackDeliverer(settings, recorder,
                                      transport=httpx.MockTransport(receiver))
        deliverer.start()
        made.append(deliverer)
        return deliverer, recorder

    yield build
    for deliverer in made:
        deliverer.close(0.5)


def test_retry_delays_double_up_to_the_cap_and_stop_after_the_last_attempt():
    settings = CallbackSettings(attempts=3, backoff=0.5, max_backoff=2.0)
    assert [settings.retry_delay(n) for n in (1, 2, 3)] == [0.5, 1.0, None]
    longer = CallbackSettings(attempts=5, backoff=0.5, max_backoff=2.0)
    assert [longer.retry_delay(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 2.0, None]
    with pytest.raises(ValueError, match="attempts"):
        CallbackSettings(attempts=0)


def test_a_server_error_is_retried_with_backoff_until_it_succeeds(make):
    receiver = Receiver(lambda n: 500 if n <= 2 else 200)
    deliverer, recorder = make(receiver, backoff=0.1, max_backoff=1.0)
    assert deliverer.deliver(1, "job_1", SUCCESS, URI, b'{"a": 1}', link="http://s/jobs/job_1")
    attempts = recorder.wait_for(3)
    assert [(a.attempt, a.status, a.ok) for a in attempts] == [
        (1, 500, False), (2, 500, False), (3, 200, True)]
    assert attempts[0].error == "HTTP 500 Internal Server Error"
    assert attempts[2].error is None
    times = [moment for moment, _, _ in receiver.requests]
    assert times[1] - times[0] >= 0.1 and times[2] - times[1] >= 0.2  # doubled
    _, request, body = receiver.requests[0]
    assert body == b'{"a": 1}'
    assert request.headers["content-type"] == "application/json"
    assert request.headers["link"] == '<http://s/jobs/job_1>; rel="monitor"'
    time.sleep(0.3)
    assert len(recorder.attempts) == 3 and deliverer.pending == 0


def test_retries_are_bounded_and_transport_errors_recorded(make):
    deliverer, recorder = make(Receiver(lambda n: -1), attempts=3)
    deliverer.deliver(1, "job_1", FAILED, URI, b"{}")
    attempts = recorder.wait_for(3)
    assert [a.attempt for a in attempts] == [1, 2, 3]
    assert all(a.status is None and "ConnectError" in (a.error or "") for a in attempts)
    time.sleep(0.5)
    assert len(recorder.attempts) == 3 and deliverer.pending == 0


def test_a_client_error_answer_is_not_retried(make):
    deliverer, recorder = make(Receiver(lambda n: 404))
    deliverer.deliver(1, "job_1", SUCCESS, URI, b"{}")
    [attempt] = recorder.wait_for(1)
    assert attempt.status == 404 and attempt.error == "HTTP 404 Not Found"
    time.sleep(0.3)
    assert len(recorder.attempts) == 1


def test_a_body_function_is_called_once_on_the_delivery_thread(make):
    calls: list[str] = []

    def body() -> bytes:
        calls.append(threading.current_thread().name)
        return b"[1]"

    deliverer, recorder = make(Receiver(lambda n: 500 if n == 1 else 200))
    deliverer.deliver(1, "job_1", SUCCESS, URI, body)
    recorder.wait_for(2)
    assert calls == ["procdeck-callbacks"]


def test_the_queue_is_bounded_and_drops_are_recorded(make):
    gate = threading.Event()
    receiver = Receiver(gate=gate)
    deliverer, recorder = make(receiver, max_pending=3)
    accepted = [deliverer.deliver(n, f"job_{n}", SUCCESS, URI, b"{}") for n in range(10)]
    # one may already be in flight (waiting at the gate), three wait; the rest are dropped
    assert accepted.count(True) in (3, 4)
    assert deliverer.dropped == accepted.count(False)
    assert deliverer.pending <= 3
    assert recorder.attempts == []  # deliver() does not write: the delivery thread records
    gate.set()
    # at most max_pending drops wait to be recorded; beyond that only the count is kept
    recorded_drops = min(accepted.count(False), 3)
    attempts = recorder.wait_for(accepted.count(True) + recorded_drops)
    time.sleep(0.2)
    attempts = recorder.attempts
    drops = [a for a in attempts if a.attempt == 0]
    assert len(drops) == recorded_drops
    assert all("queue was full" in (a.error or "") for a in drops)
    assert sum(a.ok for a in attempts) == accepted.count(True)


def test_progress_notices_are_coalesced_and_rate_limited(make):
    gate = threading.Event()
    receiver = Receiver(gate=gate)
    deliverer, recorder = make(receiver, progress_interval=30.0)
    for progress in range(1000):
        assert deliverer.deliver(1, "job_1", IN_PROGRESS, URI, json.dumps(progress).encode())
    assert deliverer.pending <= 1  # one in flight at most, one queued: the newest
    gate.set()
    recorder.wait_for(1)
    time.sleep(0.3)
    # the first went out; the newest waits for the interval
    assert len(receiver.requests) <= 2 and deliverer.pending <= 1
    deliverer.deliver(1, "job_1", SUCCESS, URI, b'"done"')
    recorder.wait_for(len(receiver.requests) + 1)
    attempts = recorder.wait_for(2 if receiver.bodies[0] == b"999" else 3)
    assert receiver.bodies[-1] == b'"done"'
    assert b"999" in receiver.bodies[:-1]  # the newest progress went out before the final one
    assert len(receiver.bodies) <= 3
    assert [a.kind for a in attempts][-1] == SUCCESS


def test_a_failed_progress_notice_is_not_retried_once_the_final_one_is_queued(make):
    gate = threading.Event()
    receiver = Receiver(lambda n: 500 if n == 1 else 200, gate=gate)
    deliverer, recorder = make(receiver, backoff=0.2)
    deliverer.deliver(1, "job_1", IN_PROGRESS, URI, b'"running"')
    time.sleep(0.1)  # in flight, held at the gate
    deliverer.deliver(1, "job_1", SUCCESS, URI, b'"done"')
    gate.set()
    recorder.wait_for(2)
    time.sleep(0.5)
    assert receiver.bodies == [b'"running"', b'"done"']


def test_shutdown_is_bounded_with_a_receiver_that_never_answers(make):
    gate = threading.Event()  # never set while the deliverer closes
    deliverer, recorder = make(Receiver(gate=gate), timeout=30.0)
    deliverer.deliver(1, "job_1", SUCCESS, URI, b"{}")
    deliverer.deliver(2, "job_2", SUCCESS, URI, b"{}")
    time.sleep(0.1)
    started = time.monotonic()
    assert deliverer.close(0.3) is False
    assert time.monotonic() - started < 2.0
    assert deliverer.abandoned == 1  # job_2; job_1 is stuck in flight
    [abandoned] = recorder.wait_for(1)
    assert abandoned.job_id == "job_2" and abandoned.attempt == 0
    assert "shut down" in (abandoned.error or "")
    assert not deliverer.deliver(3, "job_3", SUCCESS, URI, b"{}")  # closed
    gate.set()


def test_shutdown_delivers_what_is_due_and_gives_up_on_late_retries(make):
    deliverer, recorder = make(Receiver(lambda n: 500), backoff=5.0, max_backoff=5.0)
    deliverer.deliver(1, "job_1", SUCCESS, URI, b"{}")
    recorder.wait_for(1)
    assert deliverer.close(0.2) is False  # the retry would be due after the deadline
    attempts = recorder.wait_for(2)
    assert [(a.attempt, a.status) for a in attempts] == [(1, 500), (0, None)]


# -- subscriber checks ------------------------------------------------------------------------

ALLOW = CallbackSettings.allowing(["127.0.0.1", "Hooks.Example.org"])


def test_a_subscriber_to_allowed_hosts_is_taken_in_the_standard_spelling():
    subscription = parse_subscriber(
        {"successUri": "http://127.0.0.1:9/ok", "inProgressUrl": "https://hooks.example.org/p",
         "failedUri": "http://HOOKS.example.org./f"}, ALLOW, "http://server:8008/")
    assert subscription is not None
    assert subscription.to_dict() == {
        "successUri": "http://127.0.0.1:9/ok", "inProgressUri": "https://hooks.example.org/p",
        "failedUri": "http://HOOKS.example.org./f"}
    assert subscription.job_url("job_1") == "http://server:8008/jobs/job_1"
    assert parse_subscriber(None, ALLOW) is None


def test_the_erratum_spelling_is_accepted():
    subscription = parse_subscriber({"successUrl": "http://127.0.0.1/s"}, ALLOW)
    assert subscription is not None and subscription.success == "http://127.0.0.1/s"


@pytest.mark.parametrize(("subscriber", "words"), [
    ({"successUri": "http://evil.example/x"}, ["'evil.example'", "127.0.0.1",
                                               "--callback-host evil.example"]),
    ({"successUri": "ftp://127.0.0.1/x"}, ["http and https", "'ftp'"]),
    ({"successUri": "file:///etc/passwd"}, ["'file'"]),
    ({"successUri": "http://127.0.0.1/x", "failedUri": "http://10.0.0.1/x"}, ["'10.0.0.1'"]),
    ({"successUri": "http://127.0.0.1\\@evil.example/"}, ["'evil.example'"]),
    ({"inProgressUri": "http://127.0.0.1/x"}, ["successUri"]),
    ({"successUri": "http://127.0.0.1/a", "successUrl": "http://127.0.0.1/b"}, ["both"]),
    ({"successUri": 5}, ["URI string"]),
    ("http://127.0.0.1/x", ["object"]),
    ({"successUri": "http://127.0.0.1:99999/x"}, ["Port out of range"]),
])
def test_bad_subscribers_are_refused_with_the_reason(subscriber, words):
    with pytest.raises(ProblemError) as caught:
        parse_subscriber(subscriber, ALLOW)
    assert caught.value.status == 400
    for word in words:
        assert word in (caught.value.detail or ""), caught.value.detail


def test_with_no_host_allowed_every_subscriber_is_refused():
    with pytest.raises(ProblemError) as caught:
        parse_subscriber({"successUri": "http://127.0.0.1/x"}, CallbackSettings())
    assert "allows no callback hosts" in (caught.value.detail or "")
    assert caught.value.extensions["host"] == "127.0.0.1"

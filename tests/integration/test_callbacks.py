"""Callbacks end to end: a real ``procdeck serve --callback-host 127.0.0.1`` and a real receiver.

The receiver is an ``http.server`` on a free loopback port that records every
POST. Its path says how it answers: ``/ok/...`` 200 at once, ``/flaky/...`` 500
twice then 200, ``/never/...`` not until the test ends (a dead receiver).
What arrives is checked against the official schemas (``tests/ogc_oracle.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from ogc_oracle import validate
from procdeck.client import Client
from procdeck.server.testing import ServerProcess, free_port

pytestmark = pytest.mark.integration

FINAL = {"successful", "failed", "dismissed"}
ASYNC = {"Prefer": "respond-async"}


class Received:
    """What the receiver got: (path, headers, JSON body) per POST, in arrival order."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], Any]] = []
        self.cond = threading.Condition()
        self.release = threading.Event()  # lets /never/ answer at the end
        self.hits: dict[str, int] = {}

    def at(self, path: str) -> list[tuple[dict[str, str], Any]]:
        with self.cond:
            return [(headers, body) for p, headers, body in self.posts if p == path]

    def wait(self, path: str, count: int = 1, timeout: float = 20.0) -> list[Any]:
        with self.cond:
            self.cond.wait_for(
                lambda: sum(p == path for p, _, _ in self.posts) >= count, timeout)
        posts = self.at(path)
        assert len(posts) >= count, f"{path}: {len(posts)} of {count} POST(s) arrived"
        return [body for _, body in posts]


def make_handler(received: Received) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            with received.cond:
                hit = received.hits[self.path] = received.hits.get(self.path, 0) + 1
            if self.path.startswith("/never/"):
                received.release.wait(60)
            with received.cond:
                received.posts.append((self.path, dict(self.headers.items()), json.loads(raw)))
                received.cond.notify_all()
            status = 500 if self.path.startswith("/flaky/") and hit <= 2 else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet test output

    return Handler


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, Received]]:
    received = Received()
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), make_handler(received))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        received.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("callbacks")
    with ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data",
                       log_path=root / "server.log", workers=4,
                       extra_args=["--callback-host", "127.0.0.1"]) as process:
        yield process


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def unique(kind: str) -> str:
    return f"/{kind}/{uuid.uuid4().hex}"


def execute(http: httpx.Client, process: str, inputs: dict[str, Any],
            subscriber: dict[str, str], **extra: Any) -> httpx.Response:
    return http.post(f"/processes/{process}/execution", headers=ASYNC,
                     json={"inputs": inputs, "subscriber": subscriber, **extra})


def wait_final(http: httpx.Client, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        info = http.get(f"/jobs/{job_id}").json()
        if info["status"] in FINAL or time.monotonic() > deadline:
            return info
        time.sleep(0.02)


def attempts(http: httpx.Client, job_id: str, count: int, timeout: float = 20.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        log = http.get(f"/jobs/{job_id}/callbacks")
        assert log.status_code == 200, log.text
        found = log.json()["attempts"]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_conformance_declares_callback(http):
    conforms = http.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/callback" in conforms


def test_success_posts_a_results_document(http, server, receiver):
    base, received = receiver
    path = unique("ok")
    answer = execute(http, "primes_between", {"min_val": 2, "max_val": 30},
                     {"successUri": base + path}, response="document")
    assert answer.status_code == 201, answer.text
    job_id = answer.json()["jobID"]
    [document] = received.wait(path)
    validate(document, "results.yaml")
    assert document == http.get(f"/jobs/{job_id}/results").json()  # the same document
    assert document["return_value"] == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
    [(headers, _)] = received.at(path)
    assert headers["Link"] == f'<{server.url}/jobs/{job_id}>; rel="monitor"'
    assert headers["Content-Type"] == "application/json"
    [attempt] = attempts(http, job_id, 1)
    assert attempt["kind"] == "success" and attempt["uri"] == base + path
    assert attempt["attempt"] == 1 and attempt["status"] == 200 and attempt["delivered"]
    log = http.get(f"/jobs/{job_id}/callbacks").json()
    assert log["subscriber"] == {"successUri": base + path}


def test_failure_posts_the_exception(http, receiver):
    base, received = receiver
    ok, failed = unique("ok"), unique("ok")
    answer = execute(http, "sleep_a_while", {"duration": 0.1, "fail": True},
                     {"successUri": base + ok, "failedUri": base + failed})
    job_id = answer.json()["jobID"]
    [problem] = received.wait(failed)
    validate(problem, "exception.yaml")
    assert problem["type"].endswith("/job-failed")
    assert problem["status"] == 500 and problem["jobID"] == job_id
    assert "Failed on purpose" in problem["detail"]
    server_answer = http.get(f"/jobs/{job_id}/results").json()
    assert {k: v for k, v in problem.items() if k != "instance"} == {
        k: v for k, v in server_answer.items() if k != "instance"}
    [(headers, _)] = received.at(failed)
    assert headers["Content-Type"] == "application/problem+json"
    assert received.at(ok) == []  # nothing to the success URI


def test_progress_posts_status_info_coalesced(http, receiver):
    base, received = receiver
    ok, progress = unique("ok"), unique("ok")
    # sleep_a_while reports progress 100 times in 1.5 s
    answer = execute(http, "sleep_a_while", {"duration": 1.5},
                     {"successUri": base + ok, "inProgressUri": base + progress})
    job_id = answer.json()["jobID"]
    received.wait(ok)
    infos = [body for _, body in received.at(progress)]
    assert infos, "no statusInfo arrived"
    for info in infos:
        validate(info, "statusInfo.yaml")
        assert info["jobID"] == job_id and info["status"] in ("accepted", "running")
    assert infos[-1]["status"] == "running"
    assert len(infos) <= 5  # 1 s apart at most once per job, not 100 POSTs
    kinds = [a["kind"] for a in attempts(http, job_id, len(infos) + 1)]
    assert kinds[-1] == "success" and set(kinds[:-1]) == {"inProgress"}


def test_a_failing_receiver_gets_retried(http, receiver):
    base, received = receiver
    path = unique("flaky")
    job_id = execute(http, "primes_between", {"min_val": 2, "max_val": 10},
                     {"successUri": base + path}).json()["jobID"]
    received.wait(path, 3)
    found = attempts(http, job_id, 3)
    assert [(a["attempt"], a["status"], a["delivered"]) for a in found] == [
        (1, 500, False), (2, 500, False), (3, 200, True)]
    assert found[0]["error"].startswith("HTTP 500")


def test_a_dead_receiver_delays_neither_the_job_nor_the_shutdown(server_factory, receiver,
                                                                 tmp_path):
    base, _ = receiver
    store = tmp_path / "dead.sqlite"
    dead = server_factory(store=store, extra_args=["--callback-host", "127.0.0.1"])
    with httpx.Client(base_url=dead.url, timeout=10) as client:
        started = time.monotonic()
        answer = execute(client, "sleep_a_while", {"duration": 0.2},
                         {"successUri": base + unique("never"),
                          "inProgressUri": base + unique("never")})
        assert answer.status_code == 201
        job_id = answer.json()["jobID"]
        assert wait_final(client, job_id)["status"] == "successful"
        assert time.monotonic() - started < 3.0
        assert client.get("/jobs", timeout=2).status_code == 200  # still answering
    started = time.monotonic()
    code = dead.stop()
    assert time.monotonic() - started < 10.0  # bounded, not 3 attempts x 5 s per notice
    assert code != -9, dead.log()  # stopped by itself, not killed
    again = server_factory(store=store, extra_args=["--callback-host", "127.0.0.1"])
    log = httpx.get(f"{again.url}/jobs/{job_id}/callbacks").json()
    given_up = [a for a in log["attempts"] if not a["delivered"]]
    assert given_up, log
    assert any("shut down" in (a["error"] or "") for a in given_up), log


def test_a_host_that_is_not_allowed_is_refused_before_a_job_exists(http):
    before = len(http.get("/jobs").json()["jobs"])
    answer = execute(http, "primes_between", {"min_val": 2, "max_val": 10},
                     {"successUri": "http://callbacks.example.org/hook"})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    validate(problem, "exception.yaml")
    assert "'callbacks.example.org'" in problem["detail"]
    assert "127.0.0.1" in problem["detail"] and "--callback-host" in problem["detail"]
    assert len(http.get("/jobs").json()["jobs"]) == before


def test_a_callback_that_is_not_http_is_refused(http):
    before = len(http.get("/jobs").json()["jobs"])
    answer = execute(http, "primes_between", {"min_val": 2, "max_val": 10},
                     {"successUri": "ftp://127.0.0.1/results"})
    assert answer.status_code == 400
    assert "http and https" in answer.json()["detail"]
    assert len(http.get("/jobs").json()["jobs"]) == before


def test_the_erratum_spelling_is_accepted(http, receiver):
    base, received = receiver
    path = unique("ok")
    answer = execute(http, "primes_between", {"min_val": 2, "max_val": 5},
                     {"successUrl": base + path})
    assert answer.status_code == 201, answer.text
    [document] = received.wait(path)
    assert document == {"return_value": [2, 3, 5]}


def test_the_client_sends_the_subscriber(server, receiver):
    base, received = receiver
    ok, failed = unique("ok"), unique("ok")
    with Client(server.url) as client:
        job = client.execute_process("primes_between", {"min_val": 2, "max_val": 7},
                                     subscriber={"successUri": base + ok,
                                                 "failedUrl": base + failed})
        [document] = received.wait(ok)
        assert document == {"return_value": [2, 3, 5, 7]}
        assert client.get_job_results(job.jobID).root == {"return_value": [2, 3, 5, 7]}
    log = httpx.get(f"{server.url}/jobs/{job.jobID}/callbacks").json()
    assert log["subscriber"] == {"successUri": base + ok, "failedUri": base + failed}


def test_a_synchronous_execution_calls_back_too(http, receiver):
    base, received = receiver
    path = unique("ok")
    answer = http.post("/processes/primes_between/execution",
                       json={"inputs": {"min_val": 2, "max_val": 3},
                             "subscriber": {"successUri": base + path}})
    assert answer.status_code == 200
    assert received.wait(path) == [{"return_value": [2, 3]}]


def test_the_callback_log_is_not_on_the_landing_page_and_404s_for_unknown_jobs(http):
    hrefs = [link["href"] for link in http.get("/").json()["links"]]
    assert not any(href.endswith("/callbacks") for href in hrefs)
    assert http.get("/jobs/job_999999/callbacks").status_code == 404


def test_without_callback_hosts_every_subscriber_is_refused(server_factory, receiver):
    base, _ = receiver
    plain = server_factory(store=":memory:")
    answer = httpx.post(f"{plain.url}/processes/primes_between/execution", headers=ASYNC,
                        json={"inputs": {"min_val": 2, "max_val": 3},
                              "subscriber": {"successUri": base + unique("ok")}})
    assert answer.status_code == 400
    assert "allows no callback hosts" in answer.json()["detail"]
    assert "--callback-host 127.0.0.1" in answer.json()["detail"]
    assert httpx.get(f"{plain.url}/jobs").json()["jobs"] == []


def test_serve_names_its_callback_hosts_and_refuses_a_url_as_host(server):
    assert "callbacks to 127.0.0.1" in server.log()
    result = subprocess.run(
        [sys.executable, "-m", "procdeck", "serve", "--callback-host", "http://127.0.0.1/"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "--callback-host 'http://127.0.0.1/'" in result.stderr

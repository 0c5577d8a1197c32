"""The access token stays secret, and synchronous results stay retrievable.

Secrets: the token never shows in a repr, a log line (httpx and httpcore at DEBUG
included), an error message (even when a server echoes it back), a pickled error,
the request body or the server's stored request, the server's log; it goes only to
the server's own origin; the config file is 0600 and a looser one gets a warning.

Synchronous answers (200 + ``Location``/``Link rel=monitor``): the client uses the
server's job id and keys a raw value by the process's output id.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import sqlite3
import textwrap
import time
import warnings

import client_support
import httpx
import pytest
from client_support import RawServer, Recorder, closed_port, json_response

from procdeck import Client
from procdeck.client import (
    AuthenticationError,
    ClientConfig,
    ClientError,
    ConnectionFailedError,
    InsecureConfigWarning,
    InvalidResponseError,
    NoSuchJobError,
    RequestTimeoutError,
    ServerError,
)
from procdeck.client._core import ClientCore
from procdeck.models import JobStatus

client_kind = client_support.client_kind
make_client = client_support.make_client
isolated_config = client_support.isolated_config

TOKEN = "tok-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4"


def assert_secret(*texts: object) -> None:
    for text in texts:
        assert TOKEN not in str(text), text


# -- repr, str, display ---------------------------------------------------------------------------


def test_no_repr_shows_the_token(make_client) -> None:
    client = make_client(access_token=TOKEN)
    config = client.config
    core = ClientCore(config)
    call = core.call("POST", core.url("processes", "p", "execution"), body={"inputs": {}})
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"  # it is sent...
    assert_secret(repr(client), str(client), repr(config), str(config), config.to_json(),
                  config.to_dict(), config._repr_json_(), client._repr_json_(), repr(call),
                  call.body)  # ...and shown nowhere
    assert "****" in repr(config) and "****" in repr(call)


# -- logs and errors ------------------------------------------------------------------------------


def echoing_server(request: httpx.Request) -> httpx.Response:
    """A hostile server that echoes the Authorization header everywhere it can."""
    secret = request.headers.get("authorization", "")
    path = request.url.path
    if path == "/processes":
        return httpx.Response(200, text=f"<html>{secret}</html>",
                              headers={"Content-Type": "text/html"})
    if path == "/jobs/j":
        return httpx.Response(200, text='{"jobID": "j", "status": "' + secret,
                              headers={"Content-Type": "application/json"})  # malformed
    return json_response(500, {"type": f"urn:{secret}", "title": secret, "status": 500,
                               "detail": f"you sent {secret}", "instance": secret,
                               "traceback": [secret], "extra": {"nested": secret}})


def test_errors_never_carry_the_token_even_when_the_server_echoes_it(make_client) -> None:
    client = make_client(echoing_server, access_token=TOKEN)
    errors: list[ClientError] = []
    for call, expected in ((lambda: client.get_processes(), InvalidResponseError),
                           (lambda: client.get_job("j"), InvalidResponseError),
                           (lambda: client.get_conformance(), ServerError),
                           (lambda: client.execute_process("p", {"x": 1}), ServerError)):
        with pytest.raises(expected) as caught:
            call()
        errors.append(caught.value)
    for error in errors:
        assert_secret(str(error), repr(error), error.args, error.detail, error.title,
                      error.type, error.instance, error.traceback, error.url,
                      error.problem.to_json() if error.problem else "",
                      pickle.loads(pickle.dumps(error)).__dict__)
    assert "****" in (errors[2].detail or "")


def test_transport_failures_with_a_token_set(make_client) -> None:
    refused = make_client(server_url=f"http://127.0.0.1:{closed_port()}", access_token=TOKEN)
    with pytest.raises(ConnectionFailedError) as down:
        refused.get_processes()
    silent = RawServer(lambda conn: time.sleep(1))
    try:
        slow = make_client(server_url=silent.url, access_token=TOKEN, timeout=0.2)
        with pytest.raises(RequestTimeoutError) as late:
            slow.get_jobs()
    finally:
        silent.close()
    for error in (down.value, late.value):
        assert_secret(str(error), repr(error), error.__dict__, repr(error.__cause__))


def test_logs_at_debug_never_show_the_token(live_secured_server, caplog) -> None:
    url, _ = live_secured_server
    caplog.set_level(logging.DEBUG)  # root: httpx, httpcore, procdeck, everything
    with Client(url, access_token=TOKEN) as client:
        job = client.execute_process("primes_between", {"max_val": 10})
        client.wait_for_job(job.jobID, timeout=10, poll_interval=0.05)
        client.get_job_results(job.jobID)
        with pytest.raises(NoSuchJobError):
            client.get_job("job_999999")
    with Client(url, access_token=TOKEN + "-wrong") as wrong, \
            pytest.raises(AuthenticationError) as refused:
        wrong.get_jobs()
    assert any(r.name.startswith("httpcore") for r in caplog.records)  # they did log
    assert any(r.name == "httpx" for r in caplog.records)
    assert_secret(caplog.text, str(refused.value), refused.value.problem)
    assert "-wrong" not in str(refused.value)


# -- what is saved --------------------------------------------------------------------------------


@pytest.fixture
def live_secured_server(server_factory, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o600)
    store = tmp_path / "jobs.sqlite"
    server = server_factory(store=store, extra_args=[
        "--token-file", str(token_file), "--access-log", "--log-level", "debug"])
    return server.url, (server, store)


def test_the_saved_request_and_the_server_log_hold_no_token(live_secured_server) -> None:
    url, (server, store) = live_secured_server
    with Client(url, access_token=TOKEN) as client:
        job = client.execute_process("primes_between", {"min_val": 3, "max_val": 9})
        client.wait_for_job(job.jobID, timeout=10, poll_interval=0.05)
    server.stop()
    with sqlite3.connect(store) as db:
        [(request,)] = db.execute("SELECT request FROM jobs").fetchall()
    assert '"min_val":3' in request.replace(" ", "")  # the request is kept...
    assert_secret(request, server.log())  # ...without the token, and the log has none
    assert "POST /processes/primes_between/execution" in server.log()


async def test_the_apps_request_holds_no_token(live_secured_server) -> None:
    pytest.importorskip("panel")
    from procdeck.gui.app_state import AppState

    url, _ = live_secured_server
    with Client(url, access_token=TOKEN, timeout=10) as client:
        state = AppState(client)
        await state.start()
        assert await state.select("primes_between") is not None
        request = state.build_request()
        assert request["inputs"]  # the request the app shows, copies and saves...
        state.load_request(json.dumps(request))
        assert_secret(json.dumps(request), state.request, state.request_filename, repr(state),
                      state.param.values())  # ...has no token in it


def test_the_token_goes_only_to_the_servers_own_origin(make_client) -> None:
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[f"{request.url.host}{request.url.path}"] = request.headers.get("authorization")
        if request.url.host == "server.test" and request.url.path == "/jobs":
            return json_response(200, {"jobs": [{"jobID": "a", "status": "running"}], "links": [
                {"href": "http://elsewhere.test/jobs?page=2", "rel": "next"}]})
        if request.url.path == "/processes":
            return httpx.Response(302, headers={"Location": "http://elsewhere.test/list"})
        return json_response(200, {"jobs": [], "processes": [], "links": []})

    client = make_client(handler, access_token=TOKEN)
    client.get_jobs()
    client.get_processes()
    assert seen["server.test/jobs"] == f"Bearer {TOKEN}"
    assert seen["elsewhere.test/jobs"] is None  # a next link to another origin
    assert seen["elsewhere.test/list"] is None  # a redirect to another origin


def test_the_config_file_is_private_and_a_loose_one_warns(tmp_path) -> None:
    path = tmp_path / "config.toml"
    old = os.umask(0)
    try:
        ClientConfig(server_url="http://x.test", access_token=TOKEN).write(path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o600
    assert ClientConfig.load(path=path).access_token.get_secret_value() == TOKEN
    path.chmod(0o644)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ClientConfig.load(path=path)
    [warning] = [w for w in caught if issubclass(w.category, InsecureConfigWarning)]
    assert "chmod 600" in str(warning.message)
    assert_secret(warning.message)


# -- synchronous answers --------------------------------------------------------------------------

EXECUTION = ("POST", "/processes/p/execution")


def description(*outputs: str) -> httpx.Response:
    return json_response(200, {"id": "p", "version": "1", "inputs": {},
                               "outputs": {o: {"schema": {}} for o in outputs}})


def sync_answer(body: object, location: str | None = "/jobs/job_41") -> httpx.Response:
    headers = {}
    if location:
        headers = {"Location": location, "Link": f'<{location}>; rel="monitor"'}
    headers["Content-Type"] = "application/json"
    return httpx.Response(200, content=json.dumps(body).encode(), headers=headers)


@pytest.mark.parametrize("value", [2.5, [1, 2], {"threshold": 1, "factor": 2}, "text", None])
def test_a_raw_value_is_kept_under_the_server_job_id_and_the_output_id(make_client, value):
    server = Recorder({EXECUTION: sync_answer(value), ("GET", "/processes/p"):
                       description("return_value")})
    client = make_client(server)
    job = client.execute_process("p", {"x": 1})
    assert job.jobID == "job_41" and job.status == JobStatus.SUCCESSFUL
    assert client.get_job_results("job_41").to_dict() == {"return_value": value}
    assert client.get_job("job_41") == job  # kept: no request
    assert [r.url.path for r in server.requests] == ["/processes/p/execution", "/processes/p"]


def test_a_description_read_before_saves_the_extra_request(make_client) -> None:
    server = Recorder({EXECUTION: sync_answer(7), ("GET", "/processes/p"): description("n")})
    client = make_client(server)
    client.get_process("p")
    client.execute_process("p")
    assert client.get_job_results("job_41").to_dict() == {"n": 7}
    assert [r.url.path for r in server.requests].count("/processes/p") == 1


@pytest.mark.parametrize("answer, outputs, request_extra, expected", [
    ({"a": 1, "b": 2}, ("a", "b"), {}, {"a": 1, "b": 2}),  # several outputs: a document
    ({"a": 1}, ("a",), {}, {"a": 1}),  # keyed by the only output already
    ({"a": 1}, ("z",), {"response": "document"}, {"a": 1}),  # asked for a document
    ({"v": 3}, ("a",), {"outputs": {"b": {}}}, {"b": {"v": 3}}),  # the requested output
    (5, (), {}, {"result": 5}),  # no output in the description: the generic key
])
def test_how_results_are_keyed(make_client, answer, outputs, request_extra, expected) -> None:
    server = Recorder({EXECUTION: sync_answer(answer), ("GET", "/processes/p"):
                       description(*outputs)})
    client = make_client(server)
    job = client.execute_process("p", {"inputs": {}, **request_extra})
    assert job.jobID == "job_41"
    assert client.get_job_results(job.jobID).to_dict() == expected


def test_without_location_or_description_nothing_is_lost(make_client) -> None:
    server = Recorder({EXECUTION: sync_answer(9, location=None)})  # description: 404
    client = make_client(server)
    job = client.execute_process("p")
    assert job.jobID.startswith("sync-")
    assert client.get_job_results(job.jobID).to_dict() == {"result": 9}


def test_server_named_sync_jobs_are_listed_once_and_dismissed_on_the_server(make_client):
    deleted: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/processes/p/execution":
            return sync_answer(1)
        if request.url.path == "/processes/p":
            return description("out")
        if request.url.path == "/jobs":
            return json_response(200, {"jobs": [{"jobID": "job_41", "status": "successful",
                                                 "processID": "p"}], "links": []})
        if request.method == "DELETE":
            deleted.append(request.url.path)
            return json_response(404, {"title": "gone", "status": 404})
        return json_response(404, {"status": 404})

    client = make_client(handler)
    client.execute_process("p")
    assert [j.jobID for j in client.get_jobs().jobs] == ["job_41"]
    assert client.dismiss_job("job_41").status == JobStatus.DISMISSED
    assert deleted == ["/jobs/job_41"]  # asked on the server (which had forgotten it)


SYNC_MODULE = """
from pydantic import BaseModel
from procdeck.server import ProcessRegistry

registry = ProcessRegistry()


class Spec(BaseModel):
    threshold: float
    factor: float


@registry.process(job_control_options=("sync-execute",))
def echo_spec(spec: Spec) -> Spec:
    return spec


@registry.process(job_control_options=("sync-execute", "dismiss"))
def square(x: float) -> float:
    return x * x
"""


def test_sync_results_stay_retrievable_from_the_real_server(server_factory, tmp_path) -> None:
    (tmp_path / "sync_processes.py").write_text(textwrap.dedent(SYNC_MODULE))
    server = server_factory(store=":memory:", processes=["sync_processes"],
                            env={"PYTHONPATH": str(tmp_path)})
    with Client(server.url) as client:
        spec = client.execute_process("echo_spec", {"spec": {"threshold": 1, "factor": 2}})
        square = client.execute_process("square", {"x": 3})
        assert spec.jobID.startswith("job_") and square.jobID.startswith("job_")
        # an object result comes qualified (results.yaml allows no bare object)
        expected = {"return_value": {"value": {"threshold": 1.0, "factor": 2.0},
                                     "mediaType": "application/json"}}
        assert client.get_job_results(spec.jobID).to_dict() == expected
        assert client.get_job_results(square.jobID).to_dict() == {"return_value": 9.0}
        listed = [j.jobID for j in client.get_jobs().jobs]
        assert sorted(listed) == sorted([spec.jobID, square.jobID])  # once each
        with Client(server.url) as other:  # another client finds them on the server
            assert other.get_job_results(spec.jobID).to_dict() == expected
        assert client.dismiss_job(square.jobID).status == JobStatus.DISMISSED
        with Client(server.url) as other, pytest.raises(NoSuchJobError):
            other.get_job(square.jobID)  # removed on the server too

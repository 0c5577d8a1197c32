"""wait_for_job (polling with backoff) and run_process (execute, wait, results)."""

from __future__ import annotations

import inspect

import client_support
import httpx
import pytest
from client_support import Recorder, json_response

from procdeck.client import (
    AsyncClient,
    Client,
    ClientError,
    JobFailedError,
    NoSuchJobError,
    WaitTimeoutError,
)
from procdeck.models import JobInfo, JobStatus

client_kind = client_support.client_kind
make_client = client_support.make_client
isolated_config = client_support.isolated_config

FAST = {"poll_interval": 0.001, "max_interval": 0.004}


def job_states(*states: dict | str):
    """A GET /jobs/j handler answering the given states in turn, then the last one forever."""
    documents = [
        {"jobID": "j", "processID": "p", "status": s} if isinstance(s, str) else s for s in states
    ]
    served = {"count": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        index = min(served["count"], len(documents) - 1)
        served["count"] += 1
        return json_response(200, documents[index])

    return handler


def test_wait_polls_until_final_and_reports_each_change(make_client) -> None:
    states = [
        "accepted",
        {"jobID": "j", "status": "running", "progress": 10},
        {"jobID": "j", "status": "running", "progress": 10},
        {"jobID": "j", "status": "running", "progress": 60},
        {"jobID": "j", "status": "successful", "progress": 100},
    ]
    server = Recorder({("GET", "/jobs/j"): job_states(*states)})
    updates: list[JobInfo] = []
    job = make_client(server).wait_for_job("j", timeout=10, on_update=updates.append, **FAST)
    assert job.status is JobStatus.SUCCESSFUL and job.progress == 100
    assert len(server.requests) == 5
    # the repeated "running 10%" is no change, so no update for it
    assert [(u.status, u.progress) for u in updates] == [
        (JobStatus.ACCEPTED, None),
        (JobStatus.RUNNING, 10),
        (JobStatus.RUNNING, 60),
        (JobStatus.SUCCESSFUL, 100),
    ]


def test_wait_returns_at_once_for_a_final_job(make_client) -> None:
    server = Recorder({("GET", "/jobs/j"): job_states("failed")})
    assert make_client(server).wait_for_job("j").status is JobStatus.FAILED
    assert len(server.requests) == 1


def test_wait_times_out_with_the_last_status(make_client) -> None:
    server = Recorder({("GET", "/jobs/j"): job_states("running")})
    with pytest.raises(WaitTimeoutError) as info:
        make_client(server).wait_for_job("j", timeout=0.05, **FAST)
    error = info.value
    assert error.job is not None and error.job.status is JobStatus.RUNNING
    assert (error.job_id, error.timeout) == ("j", 0.05)
    assert "job j is still running after 0.05 s" in str(error)
    assert len(server.requests) >= 2


def test_unknown_status_is_not_final(make_client) -> None:
    server = Recorder({("GET", "/jobs/j"): job_states("paused", "successful")})
    assert make_client(server).wait_for_job("j", **FAST).status is JobStatus.SUCCESSFUL
    assert len(server.requests) == 2


def test_zero_timeout_polls_once(make_client) -> None:
    server = Recorder({("GET", "/jobs/j"): job_states("running")})
    with pytest.raises(WaitTimeoutError):
        make_client(server).wait_for_job("j", timeout=0)
    assert len(server.requests) == 1


def test_backoff_grows_up_to_the_maximum(monkeypatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr("procdeck.client._sync.time.sleep", pauses.append)
    server = Recorder({("GET", "/jobs/j"): job_states(*["running"] * 7, "successful")})
    with Client("http://server.test", transport=httpx.MockTransport(server)) as client:
        client.wait_for_job("j", poll_interval=0.2, max_interval=0.5)
    assert pauses == pytest.approx([0.2, 0.3, 0.45, 0.5, 0.5, 0.5, 0.5])


def test_wait_for_an_unknown_job(make_client) -> None:
    server = Recorder()
    with pytest.raises(NoSuchJobError):
        make_client(server).wait_for_job("nope", timeout=1)


@pytest.mark.parametrize("bad", [{"poll_interval": 0}, {"poll_interval": 3, "max_interval": 1}])
def test_bad_intervals(make_client, bad) -> None:
    with pytest.raises(ValueError):
        make_client(Recorder()).wait_for_job("j", **bad)


async def test_async_on_update_may_be_a_coroutine() -> None:
    server = Recorder({("GET", "/jobs/j"): job_states("running", "successful")})
    seen: list[str] = []

    async def record(job: JobInfo) -> None:
        seen.append(str(job.status))

    async with AsyncClient("http://server.test", transport=httpx.MockTransport(server)) as client:
        await client.wait_for_job("j", on_update=record, **FAST)
    assert seen == ["running", "successful"]


# -- run_process ------------------------------------------------------------------------------


def _run_server(final: dict, results: dict | None = None) -> Recorder:
    routes = {
        ("POST", "/processes/p/execution"): httpx.Response(
            201, json={"jobID": "j", "status": "accepted"}, headers={"Location": "/jobs/j"}
        ),
        ("GET", "/jobs/j"): job_states("running", final),
    }
    if results is not None:
        routes[("GET", "/jobs/j/results")] = json_response(200, results)
    return Recorder(routes)


def test_run_process_returns_the_results(make_client, monkeypatch) -> None:
    server = _run_server({"jobID": "j", "status": "successful"}, {"return_value": 7})
    client = make_client(server)
    results = client.run_process("p", {"x": 1}, timeout=10)
    assert results.value("return_value") == 7
    assert [r.method + " " + r.url.path for r in server.requests] == [
        "POST /processes/p/execution",
        "GET /jobs/j",
        "GET /jobs/j",
        "GET /jobs/j/results",
    ]
    assert server.requests[0].content == b'{"inputs":{"x":1},"response":"document"}'


@pytest.mark.parametrize("status", ["failed", "dismissed"])
def test_run_process_raises_job_failed(make_client, status) -> None:
    final = {"jobID": "j", "status": status, "message": "Failed on purpose"}
    server = _run_server(final)
    with pytest.raises(JobFailedError) as info:
        make_client(server).run_process("p", timeout=10)
    error = info.value
    assert isinstance(error, ClientError)
    assert error.job.status == status
    assert str(error) == f"job j of process p ended {status}: Failed on purpose"
    assert not any(r.url.path.endswith("/results") for r in server.requests)


def test_run_process_with_a_synchronous_server_polls_nothing(make_client) -> None:
    server = Recorder({("POST", "/processes/p/execution"): json_response(200, {"r": [2, 3]})})
    assert make_client(server).run_process("p").to_dict() == {"r": [2, 3]}
    # no polling; the description is asked for to know the output id of a raw value
    assert [r.url.path for r in server.requests] == ["/processes/p/execution", "/processes/p"]


def test_run_process_timeout(make_client) -> None:
    server = _run_server({"jobID": "j", "status": "running"})
    with pytest.raises(WaitTimeoutError):
        make_client(server).run_process("p", timeout=0.02)


# -- sync/async parity ------------------------------------------------------------------------

PUBLIC = [
    "get_capabilities",
    "get_conformance",
    "get_processes",
    "get_process",
    "execute_process",
    "get_jobs",
    "get_job",
    "get_job_results",
    "get_job_result",
    "dismiss_job",
    "wait_for_job",
    "run_process",
    "close",
]


@pytest.mark.parametrize("name", PUBLIC)
def test_both_clients_have_the_same_methods(name: str) -> None:
    sync_method, async_method = getattr(Client, name), getattr(AsyncClient, name)
    assert not inspect.iscoroutinefunction(sync_method)
    assert inspect.iscoroutinefunction(async_method)
    sync_params = list(inspect.signature(sync_method).parameters.values())
    async_params = list(inspect.signature(async_method).parameters.values())
    assert [(p.name, p.kind, p.default) for p in sync_params] == [
        (p.name, p.kind, p.default) for p in async_params
    ]
    assert sync_method.__doc__ and async_method.__doc__


def test_the_constructors_match() -> None:
    sync_params = inspect.signature(Client).parameters
    async_params = inspect.signature(AsyncClient).parameters
    assert (
        list(sync_params)
        == list(async_params)
        == [
            "server_url",
            "access_token",
            "user_name",
            "config",
            "timeout",
            "transport",
        ]
    )
    assert sync_params["timeout"].default == 30.0

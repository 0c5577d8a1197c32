"""Every client method against a mock server, for the sync and the async client alike."""

from __future__ import annotations

import json
import sys
import types
from datetime import UTC, datetime
from pathlib import Path

import client_support
import httpx
import pytest
from client_support import SERVER, Recorder, json_response

from procdeck.client import AsyncClient, Client, ClientConfig, ClientError
from procdeck.models import (
    ConformanceDeclaration,
    JobInfo,
    JobList,
    JobResults,
    JobStatus,
    LandingPage,
    ProcessDescription,
    ProcessList,
)

# The shared fixtures: every test runs with the sync and with the async client.
client_kind = client_support.client_kind
make_client = client_support.make_client
isolated_config = client_support.isolated_config

DATA = Path(__file__).resolve().parents[1] / "data"
SLEEP = json.loads((DATA / "sleep_a_while.json").read_text())
LANDING = {
    "title": "S2GOS API Server (local dummy for testing)",
    "description": "Local test server implementing the OGC API - Processes 1.0 Standard",
    "links": [
        {"href": f"{SERVER}/", "rel": "self", "type": "application/json", "title": "caps"},
        {"href": f"{SERVER}/conformance", "rel": "conformance", "title": "get_conformance"},
    ],
}
CONFORMANCE = {
    "conformsTo": [
        "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
    ]
}
JOB = {
    "jobID": "job_0",
    "processID": "sleep_a_while",
    "status": "running",
    "progress": 10,
    "type": "process",
    "created": "2025-10-07T14:27:18.702704Z",
}


def test_get_capabilities(make_client) -> None:
    server = Recorder({("GET", "/"): json_response(200, LANDING)})
    page = make_client(server).get_capabilities()
    assert isinstance(page, LandingPage)
    assert page.title == LANDING["title"]
    assert [link.rel for link in page.links] == ["self", "conformance"]
    assert str(server.last.url) == f"{SERVER}/"
    assert server.last.headers["accept"] == "application/json"
    assert server.last.headers["user-agent"].startswith("procdeck/")


def test_get_conformance(make_client) -> None:
    server = Recorder({("GET", "/conformance"): json_response(200, CONFORMANCE)})
    conformance = make_client(server).get_conformance()
    assert isinstance(conformance, ConformanceDeclaration)
    assert conformance.conformsTo == CONFORMANCE["conformsTo"]


def test_get_processes(make_client) -> None:
    listing = {"processes": [{"id": "sleep_a_while", "title": "Sleep Processor"}], "links": []}
    server = Recorder({("GET", "/processes"): json_response(200, listing)})
    processes = make_client(server).get_processes()
    assert isinstance(processes, ProcessList)
    assert [p.id for p in processes.processes] == ["sleep_a_while"]
    assert "limit" not in server.last.url.params


def test_get_process(make_client) -> None:
    server = Recorder({("GET", "/processes/sleep_a_while"): json_response(200, SLEEP)})
    description = make_client(server).get_process(process_id="sleep_a_while")
    assert isinstance(description, ProcessDescription)
    assert description.id == "sleep_a_while"
    assert description.inputs["duration"].schema_.type == "number"
    assert description.outputs["return_value"].title == "Return Value"


def test_ids_are_quoted_as_one_path_segment(make_client) -> None:
    server = Recorder()
    with pytest.raises(ClientError):
        make_client(server).get_process("a b/../c?d")
    assert server.last.url.raw_path == b"/processes/a%20b%2F..%2Fc%3Fd"


def test_server_url_with_a_path_prefix(make_client) -> None:
    server = Recorder({("GET", "/api/ogc/jobs/j1"): json_response(200, {**JOB, "jobID": "j1"})})
    client = make_client(server, server_url="http://server.test/api/ogc/")
    assert client.get_job("j1").jobID == "j1"
    assert str(server.last.url) == "http://server.test/api/ogc/jobs/j1"


def test_get_jobs_sends_the_standard_filters(make_client) -> None:
    server = Recorder({("GET", "/jobs"): json_response(200, {"jobs": [JOB], "links": []})})
    jobs = make_client(server).get_jobs(
        process_id=["sleep_a_while", "primes_between"],
        status=[JobStatus.RUNNING, "accepted"],
        limit=5,
        type="process",
        datetime=(datetime(2025, 1, 1, tzinfo=UTC), None),
        min_duration=1,
        max_duration=60,
    )
    assert isinstance(jobs, JobList)
    assert [j.jobID for j in jobs.jobs] == ["job_0"]
    params = server.last.url.params
    assert params.get_list("processID") == ["sleep_a_while", "primes_between"]
    assert params.get_list("status") == ["running", "accepted"]
    assert params["type"] == "process"
    assert params["datetime"] == "2025-01-01T00:00:00+00:00/.."
    assert (params["minDuration"], params["maxDuration"], params["limit"]) == ("1", "60", "5")


def test_get_jobs_with_a_single_status_string(make_client) -> None:
    server = Recorder({("GET", "/jobs"): json_response(200, {"jobs": []})})
    assert make_client(server).get_jobs(status="running", process_id="p").jobs == []
    assert server.last.url.params.get_list("status") == ["running"]
    assert server.last.url.params.get_list("processID") == ["p"]


def test_get_job(make_client) -> None:
    server = Recorder({("GET", "/jobs/job_0"): json_response(200, JOB)})
    job = make_client(server).get_job("job_0")
    assert isinstance(job, JobInfo)
    assert (job.jobID, job.status, job.progress) == ("job_0", JobStatus.RUNNING, 10)


def test_get_job_results_and_its_seed_alias(make_client) -> None:
    document = {"return_value": {"value": 2.0, "mediaType": "application/json"}}
    server = Recorder({("GET", "/jobs/job_0/results"): json_response(200, document)})
    client = make_client(server)
    results = client.get_job_results("job_0")
    assert isinstance(results, JobResults)
    assert results.value("return_value") == 2.0
    assert client.get_job_result("job_0").to_dict() == document


def test_get_job_results_as_link_headers(make_client) -> None:
    answer = httpx.Response(
        204,
        headers=[
            ("Link", '</files/cube.zarr>; rel="result"; type="application/zarr"; title="cube"'),
            ("Link", '<http://cdn.test/preview.png>; rel="preview"; type="image/png"'),
        ],
    )
    server = Recorder({("GET", "/jobs/j/results"): answer})
    results = make_client(server).get_job_results("j")
    assert results["cube"] == {
        "href": f"{SERVER}/files/cube.zarr",
        "rel": "result",
        "type": "application/zarr",
        "title": "cube",
    }
    assert results["preview"]["href"] == "http://cdn.test/preview.png"


def test_get_job_results_raw_body(make_client) -> None:
    server = Recorder(
        {
            ("GET", "/jobs/j/results"): httpx.Response(
                200, content=b"\x89PNG..", headers={"Content-Type": "image/png"}
            )
        }
    )
    results = make_client(server).get_job_results("j")
    assert results["result"] == {
        "value": "iVBORy4u",
        "mediaType": "image/png",
        "encoding": "base64",
    }


def test_dismiss_job(make_client) -> None:
    dismissed = {**JOB, "status": "dismissed", "message": "Dismissed"}
    server = Recorder({("DELETE", "/jobs/job_0"): json_response(200, dismissed)})
    job = make_client(server).dismiss_job("job_0")
    assert job.status is JobStatus.DISMISSED
    assert server.last.method == "DELETE"


def test_dismiss_job_with_an_empty_answer(make_client) -> None:
    server = Recorder({("DELETE", "/jobs/job_0"): httpx.Response(204)})
    job = make_client(server).dismiss_job("job_0")
    assert (job.jobID, job.status) == ("job_0", JobStatus.DISMISSED)


def test_bearer_token_is_sent_and_never_shown(make_client) -> None:
    server = Recorder({("GET", "/"): json_response(200, LANDING)})
    client = make_client(server, access_token="s3cr3t-token", user_name="bibo")
    client.get_capabilities()
    assert server.last.headers["authorization"] == "Bearer s3cr3t-token"
    assert "s3cr3t" not in repr(client)
    assert "s3cr3t" not in json.dumps(client._repr_json_())


def test_no_authorization_header_without_a_token(make_client) -> None:
    server = Recorder({("GET", "/"): json_response(200, LANDING)})
    make_client(server).get_capabilities()
    assert "authorization" not in server.last.headers


def test_repr_shows_the_config_like_the_seed(make_client) -> None:
    client = make_client(access_token="1234", user_name="bibo", server_url="http://127.0.0.1:8008")
    assert json.loads(repr(client)) == {
        "access_token": "****",
        "server_url": "http://127.0.0.1:8008",
        "user_name": "bibo",
    }
    data, metadata = client._repr_json_()
    assert data == json.loads(repr(client))
    assert metadata["expanded"] is True
    assert isinstance(client.config, ClientConfig)
    assert client.server_url == "http://127.0.0.1:8008"


def test_explicit_config_with_argument_overrides(make_client) -> None:
    config = ClientConfig(server_url="http://a.test", access_token="t", user_name="u")
    client = make_client(config=config, server_url="http://b.test")
    assert client.config.server_url == "http://b.test"
    assert client.config.access_token.get_secret_value() == "t"
    assert client.config.user_name == "u"


def test_sync_client_as_context_manager_closes() -> None:
    server = Recorder({("GET", "/"): json_response(200, LANDING)})
    with Client(SERVER, transport=httpx.MockTransport(server)) as client:
        client.get_capabilities()
    with pytest.raises(ClientError, match="closed"):
        client.get_capabilities()


async def test_async_client_as_context_manager_closes() -> None:
    server = Recorder({("GET", "/"): json_response(200, LANDING)})
    async with AsyncClient(SERVER, transport=httpx.MockTransport(server)) as client:
        assert (await client.get_capabilities()).title == LANDING["title"]
    with pytest.raises(ClientError, match="closed"):
        await client.get_capabilities()


def test_show_explains_how_to_install_panel(make_client, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "panel", None)  # as if panel were not installed
    client = make_client()
    for show in (client.show, client.show_jobs, lambda: client.show_form("p")):
        with pytest.raises(ImportError, match=r"pip install procdeck\[gui\]"):
            show()


def test_show_delegates_to_the_notebook_module(make_client, monkeypatch) -> None:
    calls = []
    fake = types.ModuleType("procdeck.gui.notebook")
    fake.show_app = lambda client, **kw: calls.append(("app", client, kw)) or "app"
    fake.show_jobs = lambda client, **kw: calls.append(("jobs", client, kw)) or "jobs"
    fake.show_form = lambda client, pid, **kw: calls.append(("form", pid, kw)) or "form"
    monkeypatch.setitem(sys.modules, "procdeck.gui.notebook", fake)
    client = make_client()
    real = getattr(client, "wrapped", client)
    assert client.show(theme="dark") == "app"
    assert client.show_jobs() == "jobs"
    assert client.show_form("sleep_a_while") == "form"
    assert calls == [
        ("app", real, {"theme": "dark"}),
        ("jobs", real, {}),
        ("form", "sleep_a_while", {}),
    ]


def test_public_package_exposes_the_clients_lazily() -> None:
    import procdeck

    assert procdeck.Client is Client
    assert procdeck.AsyncClient is AsyncClient
    assert procdeck.ClientConfig is ClientConfig
    assert procdeck.ClientError is ClientError

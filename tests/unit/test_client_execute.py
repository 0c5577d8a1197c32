"""execute_process: what is sent, and every way a server may answer."""

from __future__ import annotations

import json

import client_support
import httpx
import pytest
from client_support import SERVER, Recorder, json_response

from procdeck.client import (
    BadRequestError,
    InvalidRequestError,
    InvalidResponseError,
    NoSuchJobError,
    NoSuchProcessError,
)
from procdeck.models import JobStatus, ProcessRequest

client_kind = client_support.client_kind
make_client = client_support.make_client
isolated_config = client_support.isolated_config

EXECUTION = ("POST", "/processes/sleep_a_while/execution")
RUNNING = {
    "created": "2025-10-07T14:27:18.702704Z",
    "jobID": "job_0",
    "processID": "sleep_a_while",
    "progress": 0,
    "status": "running",
    "type": "process",
}


def created(document=None, location: str | None = "/jobs/job_0", **kwargs) -> httpx.Response:
    headers = {"Location": location} if location else {}
    if document is None:
        return httpx.Response(201, headers=headers, **kwargs)
    return httpx.Response(201, json=document, headers=headers)


# -- what is sent -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "body"),
    [
        (ProcessRequest(duration=2), {"inputs": {"duration": 2}}),
        ({"fail": True}, {"inputs": {"fail": True}}),
        ({}, {"inputs": {}}),
        (None, {"inputs": {}}),
        (
            {"inputs": {"duration": 1}, "response": "document", "outputs": {"return_value": {}}},
            {"inputs": {"duration": 1}, "response": "document", "outputs": {"return_value": {}}},
        ),
        ({"inputs": {"a": None}, "b": [1, 2]}, {"inputs": {"a": None, "b": [1, 2]}}),
    ],
    ids=["keywords", "loose-dict", "empty-dict", "none", "full-request", "mixed"],
)
def test_the_request_body_carries_the_inputs(make_client, request_, body) -> None:
    server = Recorder({EXECUTION: created(RUNNING)})
    make_client(server).execute_process(process_id="sleep_a_while", request=request_)
    sent = server.last
    # an async job asks for a results document unless the request says otherwise
    assert json.loads(sent.content) == {"response": "document", **body}
    assert sent.headers["prefer"] == "respond-async"
    assert sent.headers["content-type"] == "application/json"
    assert sent.method == "POST"


def test_a_pydantic_model_as_request(make_client) -> None:
    from pydantic import BaseModel

    class Inputs(BaseModel):
        duration: float
        fail: bool = False

    server = Recorder({EXECUTION: created(RUNNING)})
    make_client(server).execute_process("sleep_a_while", Inputs(duration=0.5))
    assert server.last_json() == {"inputs": {"duration": 0.5, "fail": False},
                                  "response": "document"}


@pytest.mark.parametrize(
    "bad",
    [{"inputs": {"a": 1}, "a": 2}, {"response": "eventually"}, ["duration", 2], 42],
    ids=["input-twice", "bad-response", "list", "number"],
)
def test_an_invalid_request_raises_before_sending(make_client, bad) -> None:
    server = Recorder({EXECUTION: created(RUNNING)})
    with pytest.raises(InvalidRequestError) as info:
        make_client(server).execute_process("sleep_a_while", bad)
    assert isinstance(info.value, ValueError)
    assert server.requests == []


# -- asynchronous answers ---------------------------------------------------------------------


def test_201_with_a_status_document(make_client) -> None:
    server = Recorder({EXECUTION: created(RUNNING)})
    job = make_client(server).execute_process("sleep_a_while", {"duration": 2})
    assert job.to_dict() == RUNNING
    assert job.status is JobStatus.RUNNING


@pytest.mark.parametrize(
    "location",
    ["/jobs/job_7", "http://server.test/jobs/job_7", "jobs/job_7/", "/api/jobs/job_7?f=json"],
)
def test_201_with_only_a_location_header(make_client, location) -> None:
    server = Recorder({EXECUTION: created(location=location)})
    job = make_client(server).execute_process("sleep_a_while")
    assert (job.jobID, job.status, job.processID) == ("job_7", JobStatus.ACCEPTED, "sleep_a_while")


def test_201_body_without_job_id_takes_it_from_location(make_client) -> None:
    body = {k: v for k, v in RUNNING.items() if k != "jobID"}
    server = Recorder({EXECUTION: created(body, location="/jobs/from-location")})
    job = make_client(server).execute_process("sleep_a_while")
    assert job.jobID == "from-location"
    assert job.status is JobStatus.RUNNING


def test_201_with_id_instead_of_job_id(make_client) -> None:
    body = {"id": "abc", "status": "queued"}
    server = Recorder({EXECUTION: created(body, location=None)})
    job = make_client(server).execute_process("sleep_a_while")
    assert (job.jobID, job.status, job.processID) == ("abc", JobStatus.ACCEPTED, "sleep_a_while")


def test_201_with_an_unknown_status_keeps_it(make_client) -> None:
    server = Recorder({EXECUTION: created({"jobID": "j", "status": "Throttled"})})
    job = make_client(server).execute_process("sleep_a_while")
    assert job.status == "Throttled"
    assert not job.is_final


def test_201_with_a_text_body_and_a_location(make_client) -> None:
    answer = created(content=b"Created", location="/jobs/j9")
    answer.headers["content-type"] = "text/plain"
    server = Recorder({EXECUTION: answer})
    assert make_client(server).execute_process("sleep_a_while").jobID == "j9"


def test_202_accepted_with_location(make_client) -> None:
    server = Recorder({EXECUTION: httpx.Response(202, headers={"Location": "/jobs/j2"})})
    assert make_client(server).execute_process("sleep_a_while").jobID == "j2"


def test_201_without_body_or_location_is_an_invalid_response(make_client) -> None:
    server = Recorder({EXECUTION: httpx.Response(201)})
    with pytest.raises(InvalidResponseError, match="job id is unknown") as info:
        make_client(server).execute_process("sleep_a_while")
    assert f"{SERVER}/processes/sleep_a_while/execution" in str(info.value)


def test_201_with_a_document_that_is_no_status(make_client) -> None:
    server = Recorder({EXECUTION: json_response(201, [1, 2, 3])})
    with pytest.raises(InvalidResponseError, match="status document"):
        make_client(server).execute_process("sleep_a_while")


def test_200_with_a_status_document_is_an_async_job(make_client) -> None:
    server = Recorder({EXECUTION: json_response(200, RUNNING)})
    job = make_client(server).execute_process("sleep_a_while")
    assert job.jobID == "job_0" and job.status is JobStatus.RUNNING


# -- synchronous answers: results never lost --------------------------------------------------


def _assert_kept(client, server: Recorder, job, expected: dict) -> None:
    assert job.status is JobStatus.SUCCESSFUL and job.is_final
    assert job.jobID.startswith("sync-")
    assert job.processID == "sleep_a_while"
    requests_before = len(server.requests)
    assert client.get_job_results(job.jobID).to_dict() == expected
    assert client.get_job(job.jobID) == job
    assert len(server.requests) == requests_before  # served from the client, not the server


def test_200_with_a_results_document(make_client) -> None:
    results = {"return_value": {"value": 2.0, "mediaType": "application/json"}}
    server = Recorder({EXECUTION: json_response(200, results)})
    client = make_client(server)
    job = client.execute_process("sleep_a_while", {"duration": 2})
    _assert_kept(client, server, job, results)


def test_200_with_a_raw_json_value_named_after_the_requested_output(make_client) -> None:
    server = Recorder({EXECUTION: json_response(200, 2.5)})
    client = make_client(server)
    job = client.execute_process(
        "sleep_a_while", {"duration": 2.5, "outputs": {"return_value": {}}, "response": "raw"}
    )
    _assert_kept(client, server, job, {"return_value": 2.5})


def test_200_with_raw_text(make_client) -> None:
    answer = httpx.Response(200, content=b"POINT (1 2)", headers={"Content-Type": "text/plain"})
    server = Recorder({EXECUTION: answer})
    client = make_client(server)
    job = client.execute_process("sleep_a_while")
    _assert_kept(
        client, server, job, {"result": {"value": "POINT (1 2)", "mediaType": "text/plain"}}
    )


def test_200_with_raw_binary(make_client) -> None:
    answer = httpx.Response(200, content=b"\x00\x01\x02", headers={"Content-Type": "image/tiff"})
    server = Recorder({EXECUTION: answer})
    client = make_client(server)
    job = client.execute_process("sleep_a_while")
    expected = {"result": {"value": "AAEC", "mediaType": "image/tiff", "encoding": "base64"}}
    _assert_kept(client, server, job, expected)


def test_204_with_link_headers(make_client) -> None:
    answer = httpx.Response(
        204,
        headers=[
            ("Link", '</outputs/a.tif>; rel="http://www.opengis.net/def/rel/ogc/1.0/results"'),
            ("Link", '</outputs/b.json>; rel=alternate; type="application/json"; title="b"'),
        ],
    )
    server = Recorder({EXECUTION: answer})
    client = make_client(server)
    job = client.execute_process("sleep_a_while")
    _assert_kept(
        client,
        server,
        job,
        {
            "result_1": {
                "href": f"{SERVER}/outputs/a.tif",
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/results",
            },
            "b": {
                "href": f"{SERVER}/outputs/b.json",
                "rel": "alternate",
                "type": "application/json",
                "title": "b",
            },
        },
    )


def test_synchronous_jobs_are_listed_filtered_and_dismissable(make_client) -> None:
    server_jobs = {"jobs": [RUNNING], "links": []}
    server = Recorder(
        {
            EXECUTION: json_response(200, {"return_value": 1}),
            ("GET", "/jobs"): json_response(200, server_jobs),
        }
    )
    client = make_client(server)
    job = client.execute_process("sleep_a_while")
    assert [j.jobID for j in client.get_jobs().jobs] == ["job_0", job.jobID]
    # (the mock server ignores filters; the client applies them to the jobs it keeps)
    assert job.jobID in [j.jobID for j in client.get_jobs(status="successful").jobs]
    assert job.jobID not in [j.jobID for j in client.get_jobs(status="failed").jobs]
    assert job.jobID in [j.jobID for j in client.get_jobs(process_id="sleep_a_while").jobs]
    assert job.jobID not in [j.jobID for j in client.get_jobs(process_id="other").jobs]
    dismissed = client.dismiss_job(job.jobID)
    assert dismissed.status is JobStatus.DISMISSED
    assert job.jobID not in [j.jobID for j in client.get_jobs().jobs]
    with pytest.raises(NoSuchJobError):
        client.get_job_results(job.jobID)  # now asked of the server, which does not know it


def test_results_kept_per_client(make_client) -> None:
    server = Recorder({EXECUTION: json_response(200, {"x": 1})})
    first, second = make_client(server), make_client(server)
    job = first.execute_process("sleep_a_while")
    with pytest.raises(NoSuchJobError):
        second.get_job_results(job.jobID)


# -- errors -----------------------------------------------------------------------------------


def test_unknown_process_is_no_such_process(make_client) -> None:
    server = Recorder(
        {("POST", "/processes/nope/execution"): json_response(404, {"title": "Not Found"})}
    )
    with pytest.raises(NoSuchProcessError):
        make_client(server).execute_process("nope")


def test_invalid_inputs_are_a_bad_request(make_client) -> None:
    problem = {
        "type": "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/invalid-input",
        "title": "Invalid inputs",
        "status": 400,
        "detail": "duration: -1 is less than the minimum of 0",
    }
    server = Recorder({EXECUTION: json_response(400, problem)})
    with pytest.raises(BadRequestError) as info:
        make_client(server).execute_process("sleep_a_while", {"duration": -1})
    error = info.value
    assert (error.status, error.title, error.detail) == (400, "Invalid inputs", problem["detail"])
    assert "duration: -1 is less than the minimum" in str(error)


def test_200_with_an_empty_body_and_a_location_is_an_async_job(make_client) -> None:
    server = Recorder({EXECUTION: httpx.Response(200, headers={"Location": "/jobs/j5"})})
    job = make_client(server).execute_process("sleep_a_while")
    assert (job.jobID, job.status) == ("j5", JobStatus.ACCEPTED)


def test_200_with_an_empty_body_is_a_run_without_results(make_client) -> None:
    server = Recorder({EXECUTION: httpx.Response(200)})
    client = make_client(server)
    job = client.execute_process("sleep_a_while")
    _assert_kept(client, server, job, {})


def test_200_with_malformed_json(make_client) -> None:
    answer = httpx.Response(
        200, content=b'{"return_value": ', headers={"Content-Type": "application/json"}
    )
    server = Recorder({EXECUTION: answer})
    with pytest.raises(InvalidResponseError, match="malformed JSON in results"):
        make_client(server).execute_process("sleep_a_while")

"""Every document a real ``procdeck serve`` sends, checked against the official 1.0 schemas.

The oracle is ``tests/ogc_oracle.py`` (the vendored OGC schemas, read as
described there). Each document is its own test: landing page, conformance,
process list (whole and paged with ``limit``), each demo process's
description, statusInfo in every state (and as the answers of POST and
DELETE), job list pages, results of each demo process (document form against
``results.yaml``; raw form, the bare value against the output's own schema
from the description, or references for the files a process wrote), the
answer to an execute request without ``Prefer`` (synchronous when the
process allows it), and every kind of exception.
Content types are checked too: ``application/json`` for documents,
``application/problem+json`` for exceptions.

The server runs with one worker, so a second job waits behind a long one:
that is how the ``accepted`` state is seen.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from email.message import Message
from email.parser import BytesParser
from typing import Any

import httpx
import pytest

from ogc_oracle import validate, validate_value
from procdeck.demo import registry as demo_registry
from procdeck.server.security import DEFAULT_MAX_JSON_DEPTH
from procdeck.server.testing import ServerProcess

pytestmark = pytest.mark.integration

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
OGC_EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
FINAL = {"successful", "failed", "dismissed"}
TOKEN = "oracle-token-0123456789abcdef"

# Inputs that make each demo process succeed quickly (every demo process must be here).
INPUTS: dict[str, dict[str, Any]] = {
    "sleep_a_while": {"duration": 0.05},
    "primes_between": {"min_val": 2, "max_val": 30},
    "simulate_scene": {"var_names": "a", "bbox": [0, 0, 2, 2], "resolution": 1.0,
                       "start_date": "2025-01-01", "end_date": "2025-01-03"},
    "return_base_model": {"scene_spec": {"threshold": 0.5, "factor": 2.0}},
    "showcase_inputs": {
        "title": "oracle", "moment": "2025-01-01T12:00:00Z",
        "area": {"bbox": [1, 2, 3, 4]}, "stations": [{"name": "s", "lon": 1, "lat": 2}],
        "source": {"kind": "url", "url": "http://example.org/x"}, "attachment": "aGk=",
    },
    "sample_table": {"rows": 5},
    "sample_features": {"count": 3},
    "sample_quicklook": {"width": 8, "height": 4},
    "sample_netcdf": {},
    "sample_zarr": {"megabytes": 0.5},
}
DEMO_IDS = list(demo_registry.ids)
# Their results do not depend on when or as which job they ran.
DETERMINISTIC = {"primes_between", "return_base_model", "showcase_inputs"}


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def document(response: httpx.Response, status: int, schema: str) -> Any:
    """The JSON body, after checking status, content type and the schema."""
    assert response.status_code == status, response.text[:500]
    assert media_type(response) == JSON, response.headers
    body = response.json()
    validate(body, schema)
    return body


def wait_final(http: httpx.Client, job_id: str, timeout: float = 60.0) -> httpx.Response:
    """GET the job until its status is final; the last response."""
    deadline = time.monotonic() + timeout
    while True:
        response = http.get(f"/jobs/{job_id}")
        if response.json().get("status") in FINAL or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def wait_status(http: httpx.Client, job_id: str, status: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while http.get(f"/jobs/{job_id}").json().get("status") != status:
        assert time.monotonic() < deadline, f"{job_id} never became {status}"
        time.sleep(0.02)


def submit(http: httpx.Client, process_id: str, body: dict[str, Any]) -> httpx.Response:
    return http.post(f"/processes/{process_id}/execution", json=body,
                     headers={"Prefer": "respond-async"})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("conformance")
    with ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data", workers=1,
                       log_path=root / "server.log") as process:
        yield process


@pytest.fixture(scope="module")
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def guarded_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of a second server: with an access token and a 1 KiB body limit."""
    root = tmp_path_factory.mktemp("conformance-guarded")
    token_file = root / "token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o600)
    with ServerProcess(store=":memory:", data_dir=root / "data", log_path=root / "server.log",
                       extra_args=["--token-file", str(token_file), "--max-body-size", "1KiB"]
                       ) as process, httpx.Client(base_url=process.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def lifecycle(http: httpx.Client) -> dict[str, httpx.Response]:
    """Answers about jobs in every state, and the exceptions that only some states give."""
    seen: dict[str, httpx.Response] = {}
    long_job = submit(http, "sleep_a_while", {"inputs": {"duration": 60}})
    long_id = long_job.json()["jobID"]
    wait_status(http, long_id, "running")
    seen["running"] = http.get(f"/jobs/{long_id}")
    seen["result-not-ready"] = http.get(f"/jobs/{long_id}/results")
    # the only worker is busy: this one waits
    seen["accepted-post"] = submit(http, "sleep_a_while", {"inputs": {"duration": 0.05}})
    queued_id = seen["accepted-post"].json()["jobID"]
    seen["accepted"] = http.get(f"/jobs/{queued_id}")
    seen["dismissed-accepted-delete"] = http.delete(f"/jobs/{queued_id}")
    seen["dismissed-running-delete"] = http.delete(f"/jobs/{long_id}")
    seen["dismissed"] = wait_final(http, long_id)
    seen["job-dismissed"] = http.get(f"/jobs/{long_id}/results")
    failing = submit(http, "sleep_a_while", {"inputs": {"duration": 0.1, "fail": True}})
    seen["failed"] = wait_final(http, failing.json()["jobID"])
    seen["job-failed"] = http.get(f"/jobs/{failing.json()['jobID']}/results")
    seen["successful-post"] = submit(http, "primes_between", {"inputs": {"max_val": 10}})
    done_id = seen["successful-post"].json()["jobID"]
    seen["successful"] = wait_final(http, done_id)
    seen["removed-delete"] = http.delete(f"/jobs/{done_id}")
    seen["no-such-job-removed"] = http.get(f"/jobs/{done_id}")
    return seen


@pytest.fixture(scope="module")
def descriptions(http: httpx.Client) -> dict[str, Any]:
    return {pid: http.get(f"/processes/{pid}").json() for pid in DEMO_IDS}


@pytest.fixture(scope="module")
def finished(http: httpx.Client) -> Callable[[str, str], httpx.Response]:
    """``results(process_id, "raw"|"document")``: the results response of an async job."""
    cache: dict[tuple[str, str], httpx.Response] = {}

    def results(process_id: str, form: str) -> httpx.Response:
        if (process_id, form) not in cache:
            created = submit(http, process_id, {"inputs": INPUTS[process_id], "response": form})
            assert created.status_code == 201, created.text[:500]
            job_id = created.json()["jobID"]
            status = wait_final(http, job_id).json()
            assert status["status"] == "successful", status
            cache[process_id, form] = http.get(f"/jobs/{job_id}/results")
        return cache[process_id, form]

    return results


def test_there_are_inputs_for_every_demo_process() -> None:
    assert sorted(INPUTS) == sorted(DEMO_IDS)


def test_landing_page(http: httpx.Client) -> None:
    document(http.get("/"), 200, "landingPage.yaml")


def test_conformance(http: httpx.Client) -> None:
    document(http.get("/conformance"), 200, "confClasses.yaml")


def test_process_list(http: httpx.Client) -> None:
    body = document(http.get("/processes"), 200, "processList.yaml")
    assert sorted(p["id"] for p in body["processes"]) == sorted(DEMO_IDS)


def test_process_list_pages_with_limit(http: httpx.Client) -> None:
    """/req/core/pl-limit-response: at most ``limit`` processes; ``next`` links to the rest."""
    url: str | None = "/processes?limit=1"
    ids: list[str] = []
    for _ in range(len(DEMO_IDS) + 1):
        if url is None:
            break
        body = document(http.get(url), 200, "processList.yaml")
        assert len(body["processes"]) <= 1, [p["id"] for p in body["processes"]]
        ids += [p["id"] for p in body["processes"]]
        url = next((link["href"] for link in body["links"] if link.get("rel") == "next"), None)
    assert url is None, "more pages than processes"
    assert sorted(ids) == sorted(DEMO_IDS)


@pytest.mark.parametrize("process_id", DEMO_IDS)
def test_process_description(http: httpx.Client, process_id: str) -> None:
    body = document(http.get(f"/processes/{process_id}"), 200, "process.yaml")
    assert body["id"] == process_id


CREATED = {"accepted-post", "successful-post"}


@pytest.mark.parametrize(
    "name",
    ["accepted-post", "accepted", "running", "dismissed-accepted-delete",
     "dismissed-running-delete", "dismissed", "failed", "successful-post", "successful",
     "removed-delete"],
)
def test_status_info(lifecycle: dict[str, httpx.Response], name: str) -> None:
    response = lifecycle[name]
    body = document(response, 201 if name in CREATED else 200, "statusInfo.yaml")
    expected = name.split("-")[0].replace("removed", "dismissed")
    if name != "successful-post":  # a quick job may be done before the 201 is sent
        assert body["status"] == expected, body
    if name in CREATED:
        assert response.headers["location"].endswith(f"/jobs/{body['jobID']}")


@pytest.mark.parametrize("query", ["", "?limit=1", "?status=successful,failed",
                                   "?processID=sleep_a_while"])
def test_job_list_pages(http: httpx.Client, lifecycle: dict[str, httpx.Response],
                        query: str) -> None:
    url: str | None = "/jobs" + query
    limit = int(query.removeprefix("?limit=")) if query.startswith("?limit=") else None
    pages = 0
    while url is not None and pages < 200:
        body = document(http.get(url), 200, "jobList.yaml")
        pages += 1
        if limit is not None:
            assert len(body["jobs"]) <= limit
        url = next((link["href"] for link in body["links"] if link.get("rel") == "next"), None)
    assert url is None
    assert pages >= 1


@pytest.mark.parametrize("process_id", DEMO_IDS)
def test_results_document(finished: Callable[[str, str], httpx.Response],
                          descriptions: dict[str, Any], process_id: str) -> None:
    body = document(finished(process_id, "document"), 200, "results.yaml")
    assert sorted(body) == sorted(descriptions[process_id]["outputs"])


def plain(value: Any) -> Any:
    """A results-document value without its qualification (``{"value": ..., ...}``)."""
    if isinstance(value, dict) and "value" in value and "href" not in value:
        return value["value"]
    return value


def is_link(value: Any) -> bool:
    return isinstance(value, dict) and "href" in value and "value" not in value


def link_headers(response: httpx.Response) -> dict[str, str]:
    """``Link`` headers of a raw-ref answer: title (output id) -> href."""
    found: dict[str, str] = {}
    for header in response.headers.get_list("link"):
        href = header.split(">", 1)[0].lstrip("<")
        title = header.split('title="', 1)[1].split('"', 1)[0]
        found[title] = href
    return found


def same_files(found: dict[str, str], expected: dict[str, str]) -> bool:
    """The same outputs link the same file of their (each their own) job."""
    def file_of(href: str) -> str:
        return re.sub(r"/job_[0-9]+/", "/*/", href)
    return {k: file_of(v) for k, v in found.items()} == {k: file_of(v) for k, v in expected.items()}


def multipart_parts(response: httpx.Response) -> dict[str, Message]:
    """The parts of a ``multipart/related`` answer by ``Content-ID``."""
    head = f"Content-Type: {response.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser().parsebytes(head + response.content)
    return {str(part["Content-ID"]).strip("<>"): part for part in message.get_payload()}


@pytest.mark.parametrize("process_id", DEMO_IDS)
def test_results_raw_are_the_bare_values_or_references(
    finished: Callable[[str, str], httpx.Response], descriptions: dict[str, Any],
    process_id: str,
) -> None:
    """/req/core/job-results-async-raw-value-one, -raw-mixed-multi and -raw-ref.

    One output by value is the value itself; an output the process wrote as a
    file is a link in the document and by reference in raw answers: a 204
    with ``Link`` headers when every output is one, else an empty part whose
    ``Content-Location`` is the link's ``href``.
    """
    response = finished(process_id, "raw")
    outputs = descriptions[process_id]["outputs"]
    in_document = finished(process_id, "document").json()
    links = {name: value["href"] for name, value in in_document.items() if is_link(value)}
    if links and len(links) == len(outputs):
        assert response.status_code == 204, response.text[:500]
        assert response.content == b""
        assert same_files(link_headers(response), links)
        return
    assert response.status_code == 200, response.text[:500]
    if len(outputs) == 1:
        [(output_id, output)] = outputs.items()
        assert media_type(response) == JSON, response.headers
        validate_value(response.json(), output["schema"], f"output {output_id!r}")
        if process_id in DETERMINISTIC:
            assert response.json() == plain(in_document[output_id])
        return
    assert media_type(response) == "multipart/related", response.headers
    parts = multipart_parts(response)
    assert sorted(parts) == sorted(outputs)
    for output_id, part in parts.items():
        if output_id in links:
            assert same_files({output_id: part["Content-Location"]},
                              {output_id: links[output_id]})
            assert part.get_payload(decode=True) == b""
            continue
        value = json.loads(part.get_payload(decode=True))
        validate_value(value, outputs[output_id]["schema"], f"output {output_id!r}")


@pytest.mark.parametrize("process_id", DEMO_IDS)
@pytest.mark.parametrize("form", ["document", "raw"])
def test_execute_without_prefer(http: httpx.Client, descriptions: dict[str, Any],
                                process_id: str, form: str) -> None:
    """Synchronous where the process allows it (200 or 204), else a created job (201)."""
    description = descriptions[process_id]
    response = http.post(f"/processes/{process_id}/execution",
                         json={"inputs": INPUTS[process_id], "response": form})
    if "sync-execute" not in description.get("jobControlOptions", []):
        document(response, 201, "statusInfo.yaml")
        return
    if response.status_code == 204:
        assert response.content == b""
        assert "link" in response.headers
        return
    if form == "document":
        document(response, 200, "results.yaml")
        return
    assert response.status_code == 200, response.text[:500]
    if len(description["outputs"]) > 1:
        assert media_type(response) == "multipart/related", response.headers
        assert sorted(multipart_parts(response)) == sorted(description["outputs"])
        return
    [(output_id, output)] = description["outputs"].items()
    assert media_type(response) == JSON, response.headers
    validate_value(response.json(), output["schema"], f"output {output_id!r}")


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


# name -> (method, path, request keyword arguments, status, OGC exception type or None)
EXCEPTIONS: dict[str, tuple[str, str, dict[str, Any], int, str | None]] = {
    "no-such-process": ("GET", "/processes/nope", {}, 404, "no-such-process"),
    "no-such-process-execute": ("POST", "/processes/nope/execution", {"json": {}}, 404,
                                "no-such-process"),
    "no-such-job": ("GET", "/jobs/job_999999", {}, 404, "no-such-job"),
    "no-such-job-malformed-id": ("GET", "/jobs/nope", {}, 404, "no-such-job"),
    "no-such-job-results": ("GET", "/jobs/job_999999/results", {}, 404, "no-such-job"),
    "no-such-job-dismiss": ("DELETE", "/jobs/job_999999", {}, 404, "no-such-job"),
    "invalid-input": ("POST", "/processes/primes_between/execution",
                      {"json": {"inputs": {"max_val": "many"}}}, 400, "invalid-input"),
    "missing-input": ("POST", "/processes/return_base_model/execution",
                      {"json": {"inputs": {}}}, 400, "invalid-input"),
    "unknown-output": ("POST", "/processes/primes_between/execution",
                       {"json": {"outputs": {"nope": {}}}}, 400, "invalid-input"),
    "bad-json": ("POST", "/processes/primes_between/execution",
                 {"content": b"{", "headers": {"content-type": JSON}}, 400, None),
    "not-an-object": ("POST", "/processes/primes_between/execution", {"json": []}, 400, None),
    "unknown-member": ("POST", "/processes/primes_between/execution",
                       {"json": {"max_val": 3}}, 400, None),
    "bad-response-value": ("POST", "/processes/primes_between/execution",
                           {"json": {"response": "zip"}}, 400, None),
    "too-deep": ("POST", "/processes/primes_between/execution",
                 {"json": {"inputs": {"x": nested(DEFAULT_MAX_JSON_DEPTH + 5)}}}, 400, None),
    "not-json-body": ("POST", "/processes/primes_between/execution",
                      {"content": b"max_val=3", "headers": {"content-type": "text/plain"}},
                      415, None),
    "bad-job-filter": ("GET", "/jobs?status=bogus", {}, 400, None),
    "bad-job-limit": ("GET", "/jobs?limit=0", {}, 400, None),
    "unknown-route": ("GET", "/nowhere", {}, 404, None),
    "method-not-allowed": ("PUT", "/processes", {}, 405, None),
}
# name -> (status, OGC exception type): answers about jobs in a given state
STATE_EXCEPTIONS = {
    "result-not-ready": (404, "result-not-ready"),
    "job-dismissed": (410, "job-dismissed"),
    "job-failed": (500, None),
    "no-such-job-removed": (404, "no-such-job"),
}
GUARDED_EXCEPTIONS: dict[str, tuple[str, str, dict[str, Any], int]] = {
    "unauthorized": ("GET", "/processes", {}, 401),
    "wrong-token": ("GET", "/jobs", {"headers": {"authorization": "Bearer wrong"}}, 401),
    "body-too-large": ("POST", "/processes/primes_between/execution",
                       {"json": {"inputs": {"x": "y" * 2048}},
                        "headers": {"authorization": f"Bearer {TOKEN}"}}, 413),
}


def check_exception(response: httpx.Response, status: int, kind: str | None) -> None:
    assert response.status_code == status, response.text[:500]
    assert media_type(response) == PROBLEM_JSON, response.headers
    body = response.json()
    validate(body, "exception.yaml")
    assert body.get("status", status) == status
    if kind is not None:
        assert body["type"] == OGC_EXCEPTIONS + kind


@pytest.mark.parametrize("name", sorted(EXCEPTIONS))
def test_exception(http: httpx.Client, name: str) -> None:
    method, path, kwargs, status, kind = EXCEPTIONS[name]
    check_exception(http.request(method, path, **kwargs), status, kind)


@pytest.mark.parametrize("name", sorted(STATE_EXCEPTIONS))
def test_exception_about_a_job(lifecycle: dict[str, httpx.Response], name: str) -> None:
    status, kind = STATE_EXCEPTIONS[name]
    check_exception(lifecycle[name], status, kind)


@pytest.mark.parametrize("name", sorted(GUARDED_EXCEPTIONS))
def test_exception_of_the_guard(guarded_http: httpx.Client, name: str) -> None:
    method, path, kwargs, status = GUARDED_EXCEPTIONS[name]
    check_exception(guarded_http.request(method, path, **kwargs), status, None)


"""The app in-process (TestClient): errors as RFC 7807, sync execution, explicit descriptions.

The real server over HTTP is covered by tests/integration/test_server_*.py; these
tests reach behaviour the demo processes cannot show (sync-execute processes,
unexpected route errors, the app before start-up).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_registry import big_description

from procdeck.server import JobContext, ProcessRegistry, create_app
from procdeck.server.errors import PROBLEM_JSON

release = threading.Event()


def make_registry() -> ProcessRegistry:
    registry = ProcessRegistry()

    @registry.process(job_control_options=("sync-execute", "async-execute", "dismiss"))
    def double(x: int) -> int:
        """Doubles x, sync or async."""
        if x < 0:
            raise ValueError("x must not be negative")
        return 2 * x

    @registry.process(job_control_options=("sync-execute",))
    def only_sync(text: str = "a") -> str:
        return text.upper()

    @registry.process(job_control_options=("async-execute",))
    def stubborn(ctx: JobContext) -> str:
        """Runs until released; cannot be dismissed while running."""
        release.wait(10)
        return "released"

    @registry.process
    def patient(ctx: JobContext, seconds: float = 5.0) -> str:
        """Reports progress every 10 ms until done or dismissed."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ctx.report(None, "waiting")
            time.sleep(0.01)
        return "done"

    @registry.process(job_control_options=("sync-execute", "dismiss"))
    def slow_sync(ctx: JobContext, seconds: float = 5.0) -> str:
        """Like patient, but runs synchronously."""
        return patient(ctx, seconds)

    registry.add(big_description(200), lambda **inputs: float(len(inputs)))
    return registry


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(make_registry(), store=tmp_path / "jobs.sqlite", data_dir=tmp_path)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def assert_problem(response: Any, status: int, *, type_suffix: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status and body["title"]
    if type_suffix is not None:
        assert body["type"].endswith(type_suffix)
    return body


def wait_final(client: TestClient, job_id: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = client.get(f"/jobs/{job_id}").json()
        if info["status"] in ("successful", "failed", "dismissed"):
            return info
        time.sleep(0.01)
    raise AssertionError(f"{job_id} did not finish")


# -- errors are always problem documents -------------------------------------------------------


def test_framework_errors_are_problem_json(client):
    body = assert_problem(client.get("/nowhere"), 404)
    assert body["instance"] == "/nowhere"
    assert_problem(client.put("/processes"), 405)
    body = assert_problem(client.get("/jobs", params={"limit": 0}), 400)
    assert body["errors"][0]["location"] == "query.limit"
    assert_problem(client.get("/jobs", params={"status": "bogus"}), 400)
    assert_problem(client.get("/jobs", params={"after": "x"}), 400)
    assert_problem(client.get("/jobs", params={"datetime": "yesterday"}), 400)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b" ", "not valid JSON"),  # found by schemathesis: whitespace is no JSON document
        (b"[1, 2]", "must be a JSON object"),
        (b'{"x": 1}', "Unknown member(s) ['x']"),
        (b'{"inputs": [1]}', "'inputs' must be an object"),
        (b'{"inputs": {"x": 1}, "response": "pdf"}', "'response' must be"),
        (b'{"inputs": {"x": 1}, "outputs": {"nope": {}}}', "Unknown output(s) ['nope']"),
    ],
)
def test_malformed_execute_requests_are_400(client, body, expected):
    response = client.post(
        "/processes/double/execution", content=body, headers={"Content-Type": "application/json"}
    )
    assert expected in assert_problem(response, 400)["detail"]


def test_unexpected_route_errors_are_problem_json(client):
    @client.app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    body = assert_problem(client.get("/boom"), 500)
    assert body["detail"] == "RuntimeError: kaboom"


def test_before_start_up_the_job_routes_answer_503(tmp_path):
    app = create_app(make_registry(), store=tmp_path / "x.sqlite")
    body = assert_problem(TestClient(app).get("/jobs"), 503)
    assert "not running" in body["detail"]


# -- synchronous execution ------------------------------------------------------------------


def test_sync_execution_answers_the_raw_value_and_keeps_the_job(client):
    response = client.post("/processes/double/execution", json={"inputs": {"x": 21}})
    assert response.status_code == 200
    assert response.json() == 42
    job_url = response.headers["location"]
    assert response.headers["link"] == f'<{job_url}>; rel="monitor"'
    job_id = job_url.rsplit("/", 1)[1]
    assert client.get(f"/jobs/{job_id}").json()["status"] == "successful"
    assert client.get(f"/jobs/{job_id}/results").json() == 42  # raw, as the request asked


def test_sync_execution_document_response(client):
    response = client.post(
        "/processes/double/execution", json={"inputs": {"x": 2}, "response": "document"}
    )
    assert response.status_code == 200
    assert response.json() == {"return_value": 4}


def test_prefer_respond_async_wins_when_both_are_allowed(client):
    response = client.post(
        "/processes/double/execution",
        json={"inputs": {"x": 2}},
        headers={"Prefer": "respond-async"},
    )
    assert response.status_code == 201
    assert response.headers["preference-applied"] == "respond-async"
    assert wait_final(client, response.json()["jobID"])["status"] == "successful"


def test_a_sync_only_process_runs_sync_even_when_async_is_preferred(client):
    response = client.post(
        "/processes/only_sync/execution",
        json={"inputs": {"text": "hi"}},
        headers={"Prefer": "respond-async"},
    )
    assert response.status_code == 200
    assert response.json() == "HI"


def test_a_failing_sync_execution_answers_the_job_error(client):
    response = client.post("/processes/double/execution", json={"inputs": {"x": -1}})
    body = assert_problem(response, 500, type_suffix="job-failed")
    assert body["detail"] == "ValueError: x must not be negative"
    assert any("x must not be negative" in line for line in body["traceback"])
    assert body["jobID"] == response.headers["location"].rsplit("/", 1)[1]


def test_dismissing_a_synchronous_run_answers_its_request(client):
    answers: list = []
    request = threading.Thread(target=lambda: answers.append(client.post(
        "/processes/slow_sync/execution", json={"inputs": {"seconds": 30}})))
    request.start()
    deadline = time.monotonic() + 5
    while not (jobs := client.get("/jobs", params={"status": "running"}).json()["jobs"]):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert client.delete(f"/jobs/{jobs[0]['jobID']}").json()["status"] == "dismissed"
    request.join(5)
    body = assert_problem(answers[0], 410, type_suffix="job-dismissed")
    assert body["jobID"] == jobs[0]["jobID"]


# -- jobs -------------------------------------------------------------------------------------


def test_a_running_job_of_a_process_without_dismiss_cannot_be_dismissed(client):
    release.clear()
    job_id = client.post("/processes/stubborn/execution", json={}).json()["jobID"]
    try:
        deadline = time.monotonic() + 5
        while client.get(f"/jobs/{job_id}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        body = assert_problem(client.delete(f"/jobs/{job_id}"), 403)
        assert "does not allow dismissing" in body["detail"]
    finally:
        release.set()
    assert wait_final(client, job_id)["status"] == "successful"
    # Finished: it may be removed.
    assert client.delete(f"/jobs/{job_id}").json()["status"] == "dismissed"
    assert_problem(client.get(f"/jobs/{job_id}"), 404, type_suffix="no-such-job")


def test_shutdown_fails_running_jobs_and_stops_cooperative_functions(tmp_path):
    store = tmp_path / "jobs.sqlite"
    app = create_app(make_registry(), store=store)
    with TestClient(app) as test_client:
        job_id = test_client.post(
            "/processes/patient/execution", json={"inputs": {"seconds": 30}}
        ).json()["jobID"]
        while test_client.get(f"/jobs/{job_id}").json()["status"] != "running":
            time.sleep(0.01)
    with TestClient(create_app(make_registry(), store=store)) as test_client:
        info = test_client.get(f"/jobs/{job_id}").json()
    assert info["status"] == "failed"
    assert info["message"] == "The server stopped while the job was running"


def test_job_list_filters_and_cursor_paging(client):
    ids = [
        client.post(
            "/processes/double/execution",
            json={"inputs": {"x": i}},
            headers={"Prefer": "respond-async"},
        ).json()["jobID"]
        for i in range(5)
    ]
    failing = client.post(
        "/processes/double/execution",
        json={"inputs": {"x": -1}},
        headers={"Prefer": "respond-async"},
    ).json()["jobID"]
    for job_id in [*ids, failing]:
        wait_final(client, job_id)
    page = client.get("/jobs", params={"processID": "double", "limit": 2}).json()
    assert [j["jobID"] for j in page["jobs"]] == ids[:2]
    seen = [j["jobID"] for j in page["jobs"]]
    while any(link["rel"] == "next" for link in page["links"]):
        next_url = next(link["href"] for link in page["links"] if link["rel"] == "next")
        assert "processID=double" in next_url and "limit=2" in next_url
        page = client.get(next_url).json()
        seen += [j["jobID"] for j in page["jobs"]]
    assert seen == [*ids, failing]
    failed = client.get("/jobs", params={"status": "failed"}).json()["jobs"]
    assert [j["jobID"] for j in failed] == [failing]
    both = client.get("/jobs", params={"status": "failed,successful"}).json()["jobs"]
    assert len(both) == 6
    assert client.get("/jobs", params={"type": "other"}).json()["jobs"] == []
    assert client.get("/jobs", params={"processID": "nothing"}).json()["jobs"] == []


def test_job_list_datetime_and_duration_filters(client):
    first = client.post(
        "/processes/double/execution",
        json={"inputs": {"x": 1}},
        headers={"Prefer": "respond-async"},
    ).json()
    wait_final(client, first["jobID"])
    slow = client.post("/processes/patient/execution", json={"inputs": {"seconds": 0.3}}).json()
    wait_final(client, slow["jobID"])
    created = slow["created"]
    after = client.get("/jobs", params={"datetime": f"{created}/.."}).json()["jobs"]
    assert [j["jobID"] for j in after] == [slow["jobID"]]
    before = client.get("/jobs", params={"datetime": f"../{first['created']}"}).json()["jobs"]
    assert [j["jobID"] for j in before] == [first["jobID"]]
    exact = client.get("/jobs", params={"datetime": created}).json()["jobs"]
    assert [j["jobID"] for j in exact] == [slow["jobID"]]
    long = client.get("/jobs", params={"minDuration": 0.2}).json()["jobs"]
    assert [j["jobID"] for j in long] == [slow["jobID"]]
    short = client.get("/jobs", params={"maxDuration": 0.2}).json()["jobs"]
    assert [j["jobID"] for j in short] == [first["jobID"]]


# -- explicit descriptions and the OpenAPI document -----------------------------------------


def test_an_explicit_200_input_description_is_served_and_checked(client):
    description = client.get("/processes/big_200").json()
    assert len(description["inputs"]) == 200
    assert description["inputs"]["in_4"]["schema"]["enum"] == ["a", "b", "c", "d"]
    response = client.post(
        "/processes/big_200/execution",
        json={"inputs": {"in_0": 99, "in_5": "not a date", "in_7": {}}},
    )
    body = assert_problem(response, 400, type_suffix="invalid-input")
    assert {e["input"] for e in body["errors"]} == {"in_0", "in_5", "in_7"}
    ok = client.post(
        "/processes/big_200/execution",
        json={"inputs": {"in_0": 1}},
        headers={"Prefer": "respond-async"},
    ).json()
    assert wait_final(client, ok["jobID"])["status"] == "successful"
    # 175 inputs have schema defaults (the 25 objects have none) and were passed
    assert client.get(f"/jobs/{ok['jobID']}/results").json() == 175.0  # raw, as the request asked


def test_openapi_documents_the_real_routes_and_models(client):
    document = client.get("/openapi.json").json()
    assert set(document["paths"]) == {
        "/",
        "/conformance",
        "/processes",
        "/processes/{processID}",
        "/processes/{processID}/execution",
        "/jobs",
        "/jobs/{jobId}",
        "/jobs/{jobId}/results",
        "/jobs/{jobId}/results/{outputId}",
        "/jobs/{jobId}/callbacks",
        "/jobs/{jobId}/files/{path}",
    }
    assert set(document["paths"]["/jobs/{jobId}"]) == {"get", "delete"}
    execute = document["paths"]["/processes/{processID}/execution"]["post"]
    body_schema = execute["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema == {"$ref": "#/components/schemas/ProcessRequest"}
    schemas = document["components"]["schemas"]
    assert {"ProcessRequest", "JobInfo", "JobList", "ProcessDescription", "ApiError"} <= set(
        schemas
    )
    assert "HTTPValidationError" not in schemas
    for operations in document["paths"].values():
        for operation in operations.values():
            assert "422" not in operation["responses"]
    status_200 = document["paths"]["/jobs/{jobId}"]["get"]["responses"]["200"]
    assert status_200["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JobInfo"
    }

"""The real server refuses what it should: strangers, oversized or non-JSON bodies, deep JSON,
writes outside its data directory, job ids that are not job ids. CORS is off unless asked for.

Each test starts ``procdeck serve`` with the options under test and drives it with
the real client (or raw httpx where the client would refuse to send such a request).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from procdeck import Client
from procdeck.client import (
    AuthenticationError,
    BadRequestError,
    JobFailedError,
    NoSuchJobError,
    NoSuchProcessError,
)
from procdeck.models import JobStatus
from procdeck.server.errors import PROBLEM_JSON

pytestmark = pytest.mark.integration

TOKEN = "s3cret-Token-for-tests_0123456789"
EXECUTE = "/processes/primes_between/execution"


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


# -- access token -------------------------------------------------------------------------------


def test_token_guards_every_route_but_the_landing_page_and_the_docs(server_factory, token_file):
    server = server_factory(store=":memory:", extra_args=["--token-file", str(token_file)])
    for public in ("/", "/openapi.json", "/openapi-3.1.json", "/docs", "/redoc"):
        assert httpx.get(server.url + public).status_code == 200, public
    guarded = [("GET", "/conformance"), ("GET", "/processes"), ("GET", "/processes/primes_between"),
               ("POST", EXECUTE), ("GET", "/jobs"), ("GET", "/jobs/job_0"),
               ("DELETE", "/jobs/job_0"), ("GET", "/jobs/job_0/results"), ("GET", "/nowhere")]
    answers = []
    for method, path in guarded:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                        {"Authorization": f"Basic {TOKEN}"},
                        {"Authorization": f"Bearer {TOKEN}x"}):
            response = httpx.request(method, server.url + path, headers=headers, json={})
            body = assert_problem(response, 401)
            assert response.headers["www-authenticate"].startswith("Bearer")
            answers.append(body)
    # One answer for every refusal: it says nothing about the token or the resource.
    assert all(body == answers[0] for body in answers)
    assert TOKEN not in json.dumps(answers[0]) and "instance" not in answers[0]
    # No job was created by any refused submission.
    with Client(server.url, access_token=TOKEN) as client:
        assert client.get_jobs().jobs == []


def test_the_client_with_the_token_does_everything(server_factory, token_file):
    server = server_factory(store=":memory:", extra_args=["--token-file", str(token_file)])
    with Client(server.url, access_token=TOKEN) as client:
        assert client.get_conformance().conformsTo
        assert "primes_between" in [p.id for p in client.get_processes().processes]
        job = client.execute_process("primes_between", {"min_val": 2, "max_val": 7})
        assert client.wait_for_job(job.jobID, timeout=10).status == JobStatus.SUCCESSFUL
        assert client.get_job_results(job.jobID).value("return_value") == [2, 3, 5, 7]
        assert client.dismiss_job(job.jobID).status == JobStatus.DISMISSED
    with Client(server.url) as anonymous, pytest.raises(AuthenticationError) as refused:
        anonymous.get_processes()
    assert refused.value.status == 401
    with Client(server.url, access_token="not-the-token") as wrong:
        with pytest.raises(AuthenticationError):
            wrong.execute_process("primes_between", {})
        assert wrong.get_capabilities().links  # the landing page stays open


def test_openapi_says_which_routes_need_the_token(server_factory, token_file):
    server = server_factory(store=":memory:", extra_args=["--token-file", str(token_file)])
    document = httpx.get(server.url + "/openapi.json").json()
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, operations in document["paths"].items():
        for operation in operations.values():
            guarded = path != "/"
            assert ("401" in operation["responses"]) == guarded, path
            assert (operation.get("security") == [{"bearerAuth": []}]) == guarded, path


def test_an_unusable_token_file_stops_the_server_with_a_reason(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("\n")
    for path, reason in ((tmp_path / "missing", "cannot read"), (empty, "is empty")):
        result = subprocess.run(
            [sys.executable, "-m", "procdeck", "serve", "--store", ":memory:",
             "--token-file", str(path)],
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 2
        assert reason in result.stderr


def test_a_token_file_readable_by_others_gets_a_warning(server_factory, token_file):
    token_file.chmod(0o644)
    server = server_factory(store=":memory:", extra_args=["--token-file", str(token_file)])
    log = server.log()
    assert "WARNING" in log and "chmod 600" in log
    assert TOKEN not in log
    assert "access token required" in log


# -- CORS -----------------------------------------------------------------------------------------


def preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(url, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, prefer",
    })


def test_cors_is_off_by_default(live_server):
    origin = "http://page.example"
    response = httpx.get(live_server + "/processes", headers={"Origin": origin})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    answer = preflight(live_server + EXECUTE, origin)
    assert "access-control-allow-origin" not in answer.headers
    assert answer.status_code == 405


def test_cors_origins_can_be_allowed_and_refusals_stay_readable(server_factory, token_file):
    allowed = "http://localhost:5006"
    server = server_factory(store=":memory:", extra_args=[
        "--cors-origin", allowed, "--cors-origin", "http://127.0.0.1:5006",
        "--token-file", str(token_file),
    ])
    answer = preflight(server.url + EXECUTE, allowed)
    assert answer.status_code == 200  # preflights carry no token
    assert answer.headers["access-control-allow-origin"] == allowed
    assert "authorization" in answer.headers["access-control-allow-headers"].lower()
    refused = preflight(server.url + EXECUTE, "http://evil.example")
    assert_problem(refused, 400)
    assert "access-control-allow-origin" not in refused.headers
    # A 401 carries the CORS header, so the allowed page can show why it was refused.
    unauthorised = httpx.get(server.url + "/jobs", headers={"Origin": allowed})
    assert_problem(unauthorised, 401)
    assert unauthorised.headers["access-control-allow-origin"] == allowed
    ok = httpx.post(server.url + EXECUTE, json={}, headers={
        "Origin": allowed, "Authorization": f"Bearer {TOKEN}", "Prefer": "respond-async"})
    assert ok.status_code == 201
    assert "location" in ok.headers["access-control-expose-headers"].lower()


# -- bodies ---------------------------------------------------------------------------------------


def test_bodies_over_the_default_16_mib_limit_are_refused(live_server):
    limit = 16 * 1024 * 1024
    filler = "x" * (limit - 200)
    under = json.dumps({"inputs": {"min_val": filler}}).encode()
    assert len(under) <= limit
    # just under the limit: read and judged on its merits (a bad input, not a size problem)
    assert_problem(httpx.post(live_server + EXECUTE, content=under, timeout=60,
                              headers={"Content-Type": "application/json"}), 400)
    over = under + b" " * (limit - len(under) + 1)
    body = assert_problem(httpx.post(live_server + EXECUTE, content=over, timeout=60,
                                     headers={"Content-Type": "application/json"}), 413)
    assert str(limit) in body["detail"]


def test_a_configured_limit_also_holds_for_chunked_bodies(server_factory):
    server = server_factory(store=":memory:", extra_args=["--max-body-size", "4KiB"])
    url = server.url + EXECUTE

    def chunks(count: int, size: int = 1000):
        for _ in range(count):
            yield b" " * size

    headers = {"Content-Type": "application/json"}
    declared = httpx.post(url, content=b" " * 4097, headers=headers)
    assert "4096 bytes" in assert_problem(declared, 413)["detail"]
    # No Content-Length: the server counts while reading and stops at the limit.
    chunked = httpx.post(url, content=chunks(5), headers=headers)
    assert chunked.request.headers.get("transfer-encoding") == "chunked"
    assert_problem(chunked, 413)
    endless = httpx.post(url, content=chunks(100_000, 10_000), headers=headers, timeout=30)
    assert_problem(endless, 413)  # 1 GB offered, refused without reading it all
    small = httpx.post(url, content=iter([b'{"inputs": {}}', b" " * 20]), headers=headers)
    assert small.request.headers.get("transfer-encoding") == "chunked"
    # under the limit, chunked: read whole; defaults apply (run synchronously: the results)
    assert small.status_code == 200, small.text
    with Client(server.url) as client:  # the server is fine afterwards
        job_id = small.headers["location"].rsplit("/", 1)[1]
        assert client.wait_for_job(job_id, timeout=10).status == "successful"


def test_post_bodies_must_be_json(live_server):
    body = json.dumps({"inputs": {"min_val": 2, "max_val": 9}}).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x", "application/xml", None):
        headers = {"Content-Type": content_type} if content_type else {}
        response = httpx.post(live_server + EXECUTE, content=body, headers=headers)
        assert "application/json" in assert_problem(response, 415)["detail"]
    for content_type in ("application/json", "application/json; charset=utf-8",
                         "application/problem+json"):
        response = httpx.post(live_server + EXECUTE, content=body,
                              headers={"Content-Type": content_type})
        assert response.status_code == 200, (content_type, response.text)  # run sync
    # No body at all needs no content type: the defaults of the process apply.
    assert httpx.post(live_server + EXECUTE).status_code == 200


def nested(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


def test_deep_or_monstrous_json_is_a_400(live_server):
    def post(content: bytes) -> httpx.Response:
        return httpx.post(live_server + EXECUTE, content=content,
                          headers={"Content-Type": "application/json"})

    # 64 levels in all (2 objects + 62 arrays) are read (then fail the input's schema), 65 not.
    fine = post(json.dumps({"inputs": {"min_val": nested(62)}}).encode())
    assert assert_problem(fine, 400)["type"].endswith("invalid-input")
    deep = post(json.dumps({"inputs": {"min_val": nested(63)}}).encode())
    assert "deeper than 64" in assert_problem(deep, 400)["detail"]
    abyss = post(b'{"inputs": {"min_val": ' + b"[" * 200_000 + b"]" * 200_000 + b"}}")
    assert "deeper" in assert_problem(abyss, 400)["detail"]
    huge_number = post(b'{"inputs": {"min_val": ' + b"9" * 100_000 + b"}}")
    assert "not valid JSON" in assert_problem(huge_number, 400)["detail"]
    # Huge bad values and floods of bad inputs get a short answer (no amplification).
    wide = post(json.dumps({"inputs": {"min_val": list(range(500_000))}}).encode())
    assert_problem(wide, 400)
    assert len(wide.content) < 5_000
    flood = post(json.dumps({"inputs": {f"in{i}": i for i in range(100_000)}}).encode())
    flooded = assert_problem(flood, 400)
    assert len(flooded["errors"]) == 100 and "stopped after 100" in flooded["detail"]
    assert len(flood.content) < 50_000
    with Client(live_server) as client, pytest.raises(BadRequestError) as bad:
        client.execute_process("primes_between", {"min_val": -1, "max_val": 500, "x": 1})
    for name in ("min_val", "max_val", "x"):
        assert name in bad.value.detail


# -- paths and ids --------------------------------------------------------------------------------


def scene(output_path: str | None) -> dict:
    inputs: dict = {"var_names": "a", "bbox": [0, 0, 2, 2], "resolution": 1.0,
                    "start_date": "2025-01-01", "end_date": "2025-01-02"}
    if output_path is not None:
        inputs["output_path"] = output_path
    return inputs


def test_simulate_scene_writes_only_inside_the_data_directory(server_factory, tmp_path):
    pytest.importorskip("xarray")
    data = tmp_path / "data"
    outside = tmp_path / "outside"
    outside.mkdir()
    (data / "escape").parent.mkdir(parents=True, exist_ok=True)
    (data / "escape").symlink_to(outside, target_is_directory=True)
    server = server_factory(store=":memory:", data_dir=data)
    refused = ["../outside/a.zarr", str(outside / "b.zarr"), (outside / "c.zarr").as_uri(),
               "escape/d.zarr", "s3://bucket/e.zarr", str(data), "scenes/../../outside/f.zarr"]
    with Client(server.url) as client:
        for output_path in refused:
            with pytest.raises(JobFailedError) as failed:
                client.run_process("simulate_scene", scene(output_path), timeout=60)
            message = failed.value.job.message or ""
            assert "PathNotAllowed" in message, message
            assert "--allow-path" in message or "file://" in message
        assert list(outside.iterdir()) == []  # nothing written outside
        link = client.run_process("simulate_scene", scene("scenes/ok.zarr"), timeout=60)
        href = link.value("return_value")["href"]
        assert href == (data / "scenes" / "ok.zarr").resolve().as_uri()
        assert (data / "scenes" / "ok.zarr").is_dir()
        default = client.execute_process("simulate_scene", scene(None))
        assert client.wait_for_job(default.jobID, timeout=60).status == JobStatus.SUCCESSFUL
        assert (data / default.jobID / "scene.zarr").is_dir()


def test_the_operator_can_allow_more_directories(server_factory, tmp_path):
    pytest.importorskip("xarray")
    extra = tmp_path / "exports"
    extra.mkdir()
    server = server_factory(store=":memory:", extra_args=["--allow-path", str(extra)])
    with Client(server.url) as client:
        link = client.run_process("simulate_scene", scene(str(extra / "x.zarr")), timeout=60)
        assert link.value("return_value")["href"] == (extra / "x.zarr").resolve().as_uri()
        with pytest.raises(JobFailedError):
            client.run_process("simulate_scene", scene(str(tmp_path / "y.zarr")), timeout=60)
    assert (extra / "x.zarr").is_dir() and not (tmp_path / "y.zarr").exists()


def test_no_traversal_through_job_or_process_ids(live_server, tmp_path):
    hostile = ["../../etc/passwd", "..", "job_1/../job_0", "job_0%00", "job_-1", "job_01",
               "job_1e3", " job_0", "job_0 ", "%2e%2e", "job_" + "9" * 40, "<script>"]
    with Client(live_server) as client:
        known = client.execute_process("primes_between", {}).jobID
        for job_id in hostile:
            with pytest.raises(NoSuchJobError):
                client.get_job(job_id)
            with pytest.raises(NoSuchJobError):
                client.get_job_results(job_id)
            with pytest.raises(NoSuchJobError):
                client.dismiss_job(job_id)
        for process_id in ("../jobs", "..", "primes_between/../sleep_a_while", "%2e%2e"):
            with pytest.raises(NoSuchProcessError):
                client.get_process(process_id)
        assert client.get_job(known).jobID == known  # nothing was removed on the way
    long_id = httpx.get(f"{live_server}/jobs/job_{'1' * 5000}")
    assert len(assert_problem(long_id, 404)["detail"]) < 300  # the id is not echoed in full

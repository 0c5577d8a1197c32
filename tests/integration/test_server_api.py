"""Every endpoint and every error of the real server (uvicorn), driven by procdeck's Client.

Raw httpx is used only where the wire matters: headers, media types, exception type URIs.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx
import pytest

from procdeck import Client
from procdeck.client import (
    BadRequestError,
    HTTPStatusError,
    JobFailedError,
    NoSuchJobError,
    NoSuchProcessError,
    ResultNotReadyError,
    ServerError,
)
from procdeck.models import JobStatus, ProcessDescription
from procdeck.schema_extensions import extensions_of, split_extensions

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data"
OGC_EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
SEED_LINK_TITLES = [
    "get_capabilities", "openapi", "swagger_ui_html", "swagger_ui_redirect", "redoc_html",
    "get_capabilities", "get_conformance", "get_processes", "get_process", "execute_process",
    "get_jobs", "get_job", "dismiss_job", "get_job_results",
]


@pytest.fixture(scope="module")
def client(live_server: str) -> Iterator[Client]:
    with Client(live_server) as api:
        yield api


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


# -- capabilities ---------------------------------------------------------------------------


def test_landing_page_has_the_seed_links(client, live_server):
    page = client.get_capabilities()
    assert page.title and "OGC API - Processes" in page.description
    seed_part = [link for link in page.links if link.rel in ("self", "service")]
    assert [link.title for link in seed_part] == SEED_LINK_TITLES
    assert seed_part[0].rel == "self" and seed_part[0].href == f"{live_server}/"
    by_title = {link.title: link for link in seed_part[1:]}
    assert by_title["get_process"].href == f"{live_server}/processes/{{processID}}"
    assert by_title["get_job_results"].href == f"{live_server}/jobs/{{jobId}}/results"
    assert by_title["swagger_ui_html"].type == "text/html"
    assert all(link.hreflang == "en" for link in page.links)
    rels = {link.rel for link in page.links}
    assert {"service-desc", "service-doc",
            "http://www.opengis.net/def/rel/ogc/1.0/job-list"} <= rels
    # every non-templated link answers
    for link in page.links:
        if "{" not in link.href:
            assert httpx.get(link.href).status_code == 200, link.href


def test_conformance_declares_the_implemented_classes(client):
    prefix = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/"
    assert client.get_conformance().conformsTo == [
        prefix + name
        for name in ("core", "ogc-process-description", "json", "oas30", "job-list", "dismiss",
                     "callback")
    ]


def test_openapi_document_is_served(live_server):
    document = httpx.get(f"{live_server}/openapi.json").json()
    assert "/processes/{processID}/execution" in document["paths"]
    assert "ProcessRequest" in document["components"]["schemas"]
    assert httpx.get(f"{live_server}/docs").headers["content-type"].startswith("text/html")


# -- processes --------------------------------------------------------------------------------


def test_process_list_matches_the_seed(client, live_server):
    processes = client.get_processes()
    summaries = {p.id: p for p in processes.processes}
    assert list(summaries)[:4] == [
        "sleep_a_while", "primes_between", "simulate_scene", "return_base_model"
    ]
    assert summaries["sleep_a_while"].title == "Sleep Processor"
    assert summaries["primes_between"].description.startswith("Returns the list of prime")
    assert summaries["return_base_model"].description is None
    assert {p.version for p in processes.processes} == {"0.0.0"}
    assert processes.links[0].href == f"{live_server}/processes"
    assert processes.links[0].title == "get_processes"


@pytest.mark.parametrize(
    "process_id", ["sleep_a_while", "primes_between", "simulate_scene", "return_base_model"]
)
def test_process_descriptions_have_the_seed_schemas(client, process_id):
    reference = ProcessDescription.model_validate_json((DATA / f"{process_id}.json").read_text())
    description = client.get_process(process_id)
    assert description.title == reference.title
    assert description.description == reference.description
    assert list(description.inputs) == list(reference.inputs)
    # the seed's server puts x-ui-* hints (and pydantic's examples) into schemas; ours keeps
    # them beside, in additionalParameters, as 1.0's schema.yaml wants
    pairs = [(description.inputs[name], expected) for name, expected in reference.inputs.items()]
    assert list(description.outputs) == list(reference.outputs)
    pairs += [(description.outputs[name], expected) for name, expected in reference.outputs.items()]
    for got, expected in pairs:
        clean, moved = split_extensions(expected.schema_.to_dict())
        assert got.schema_.to_dict() == clean, expected.title
        assert extensions_of(got.additionalParameters) == moved, expected.title
        assert got.title == expected.title
    # quick demo processes also run synchronously (the seed's are async-only)
    quick = process_id in ("primes_between", "return_base_model")
    assert description.jobControlOptions == (
        ["sync-execute", "async-execute", "dismiss"] if quick else ["async-execute", "dismiss"])


def test_unknown_process_is_no_such_process(client, live_server):
    with pytest.raises(NoSuchProcessError):
        client.get_process("no_such_thing")
    with pytest.raises(NoSuchProcessError):
        client.execute_process("no_such_thing", {})
    response = httpx.get(f"{live_server}/processes/no_such_thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == OGC_EXCEPTIONS + "no-such-process"


# -- execution ---------------------------------------------------------------------------------


def test_async_execution_answers_201_with_location_and_status(live_server):
    response = httpx.post(
        f"{live_server}/processes/primes_between/execution",
        json={"inputs": {"min_val": 10, "max_val": 20}},
        headers={"Prefer": "respond-async"},
    )
    assert response.status_code == 201
    info = response.json()
    assert response.headers["location"] == f"{live_server}/jobs/{info['jobID']}"
    assert response.headers["preference-applied"] == "respond-async"
    assert info["processID"] == "primes_between" and info["type"] == "process"
    assert info["status"] in ("accepted", "running", "successful")
    # without Prefer a process that allows it runs synchronously: the results, and the job
    plain = httpx.post(f"{live_server}/processes/primes_between/execution", json={})
    assert plain.status_code == 200 and "location" in plain.headers
    assert plain.json()[:3] == [2, 3, 5]  # raw, the standard's default
    assert "preference-applied" not in plain.headers  # nothing was asked
    asked = httpx.post(f"{live_server}/processes/primes_between/execution", json={},
                       headers={"Prefer": "respond-sync"})
    assert asked.status_code == 200 and asked.headers["preference-applied"] == "respond-sync"


def test_run_primes_between(client):
    results = client.run_process("primes_between", {"min_val": 10, "max_val": 30}, timeout=10)
    assert results.value("return_value") == [11, 13, 17, 19, 23, 29]


def test_status_progress_and_timestamps_are_live(client):
    job = client.execute_process("sleep_a_while", {"duration": 1.0})
    seen: list = []
    final = client.wait_for_job(job.jobID, timeout=10, poll_interval=0.05, max_interval=0.1,
                                on_update=seen.append)
    assert final.status == JobStatus.SUCCESSFUL and final.message == "Done"
    progresses = [j.progress for j in seen if j.status == JobStatus.RUNNING]
    assert len(set(progresses)) >= 3 and progresses == sorted(progresses)
    assert final.progress == 100
    assert final.created <= final.started <= final.finished
    assert 1.0 <= client.get_job_results(job.jobID).value("return_value") < 2.0


def test_object_inputs_plain_or_qualified(client):
    spec = {"threshold": 0.5, "factor": 2.0}
    plain = client.run_process("return_base_model", {"scene_spec": spec}, timeout=10)
    assert plain.value("return_value") == spec
    qualified = client.run_process(
        "return_base_model",
        {"scene_spec": {"value": spec, "mediaType": "application/json"}},
        timeout=10,
    )
    assert qualified.value("return_value") == spec


def test_invalid_inputs_are_a_400_naming_every_bad_input(client, live_server):
    with pytest.raises(BadRequestError) as caught:
        client.execute_process("primes_between", {"min_val": -1, "max_val": 1000, "x": 1})
    error = caught.value
    assert error.status == 400
    for name in ("min_val", "max_val", "x"):
        assert name in error.detail
    assert "less than the minimum of 0" in error.detail
    before = {j.jobID for j in client.get_jobs().jobs}
    response = httpx.post(f"{live_server}/processes/return_base_model/execution",
                          json={"inputs": {"scene_spec": {"threshold": "high"}}})
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert {(e["path"], e["message"]) for e in body["errors"]} == {
        ("scene_spec", "'factor' is a required property"),
        ("scene_spec.threshold", "'high' is not of type 'number'"),
    }
    assert {j.jobID for j in client.get_jobs().jobs} == before  # no job was created


def test_a_failing_job_reports_its_error_with_the_traceback(client, live_server):
    with pytest.raises(JobFailedError) as caught:
        client.run_process("sleep_a_while", {"duration": 0.2, "fail": True}, timeout=10)
    job = caught.value.job
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("RuntimeError: Failed on purpose")
    assert 40 <= job.progress < 100  # it failed half-way
    with pytest.raises(ServerError) as results_error:
        client.get_job_results(job.jobID)
    assert "Failed on purpose" in results_error.value.detail
    assert "raise RuntimeError" in results_error.value.traceback
    body = httpx.get(f"{live_server}/jobs/{job.jobID}/results").json()
    assert body["type"] == OGC_EXCEPTIONS + "job-failed"
    assert body["jobID"] == job.jobID


def test_simulate_scene_writes_zarr_and_returns_a_link(client):
    xarray = pytest.importorskip("xarray")
    results = client.run_process(
        "simulate_scene",
        {"var_names": "red, nir", "bbox": [0, 0, 10, 5], "resolution": 1.0,
         "start_date": "2025-01-01", "end_date": "2025-01-05", "periodicity": 2},
        timeout=60,
    )
    link = results.value("return_value")
    assert link["type"] == "application/zarr" and link["href"].startswith("file://")
    path = unquote(urlparse(link["href"]).path)
    assert "job_" in path
    dataset = xarray.open_zarr(path)
    assert sorted(dataset.data_vars) == ["nir", "red"]
    assert dict(dataset.sizes) == {"time": 3, "lat": 5, "lon": 10}


def test_showcase_process_takes_every_input_kind(client):
    description = client.get_process("showcase_inputs")
    schemas = {name: spec.schema_ for name, spec in description.inputs.items()}
    assert schemas["area"].format == "ogc-bbox"
    assert schemas["source"].oneOf and schemas["label"].nullable
    assert schemas["attachment"].contentEncoding == "base64"
    assert description.inputs["seed"].full_schema()["x-ui-advanced"] is True
    results = client.run_process("showcase_inputs", {
        "title": "Demo", "count": 2, "mode": "fast", "color": "red", "day": "2025-03-04",
        "moment": "2025-03-04T05:06:07Z", "area": {"bbox": [1, 2, 3, 4]},
        "tags": ["a", "b"], "settings": {"name": "x", "scale": {"low": 1, "high": 2}},
        "stations": [{"name": "s1", "lon": 1, "lat": 2}],
        "source": {"kind": "url", "url": "https://example.org/data"},
        "label": None, "attachment": base64.b64encode(b"\x00\x01\x02").decode(),
    }, timeout=10).value("return_value")
    assert results["color"] == "red" and results["day"] == "2025-03-04"
    assert results["area"]["crs"].endswith("CRS84")
    assert results["stations"] == [{"name": "s1", "lon": 1.0, "lat": 2.0}]
    assert results["source"]["kind"] == "url"
    assert results["attachment_bytes"] == 3


# -- jobs ------------------------------------------------------------------------------------


def test_unknown_job_is_no_such_job_everywhere(client, live_server):
    for call in (client.get_job, client.get_job_results, client.dismiss_job):
        with pytest.raises(NoSuchJobError):
            call("job_999999999")
    response = httpx.get(f"{live_server}/jobs/job_999999999")
    assert response.json()["type"] == OGC_EXCEPTIONS + "no-such-job"


def test_results_of_an_unfinished_job_are_not_ready(client, live_server):
    job = client.execute_process("sleep_a_while", {"duration": 5})
    try:
        with pytest.raises(ResultNotReadyError):
            client.get_job_results(job.jobID)
        body = httpx.get(f"{live_server}/jobs/{job.jobID}/results").json()
        assert body["type"] == OGC_EXCEPTIONS + "result-not-ready"
    finally:
        client.dismiss_job(job.jobID)


def test_dismissing_a_running_job_stops_it(client, live_server):
    job = client.execute_process("sleep_a_while", {"duration": 30})
    running = wait_until(lambda: (j := client.get_job(job.jobID)).progress and j)
    assert running.status == JobStatus.RUNNING
    dismissed = client.dismiss_job(job.jobID)
    assert dismissed.status == JobStatus.DISMISSED
    stopped_at = client.get_job(job.jobID)
    time.sleep(0.3)
    later = client.get_job(job.jobID)
    assert later.status == JobStatus.DISMISSED
    assert later.progress == stopped_at.progress < 100  # it stopped reporting
    assert later.to_dict() == stopped_at.to_dict()
    assert job.jobID in {j.jobID for j in client.get_jobs(status="dismissed").jobs}
    with pytest.raises(HTTPStatusError) as caught:
        client.get_job_results(job.jobID)
    assert caught.value.status == 410
    assert httpx.get(f"{live_server}/jobs/{job.jobID}/results").json()["type"] == (
        OGC_EXCEPTIONS + "job-dismissed"
    )


def test_dismissing_a_finished_job_removes_it(client):
    job = client.execute_process("primes_between", {})
    client.wait_for_job(job.jobID, timeout=10)
    removed = client.dismiss_job(job.jobID)
    assert removed.status == JobStatus.DISMISSED
    with pytest.raises(NoSuchJobError):
        client.get_job(job.jobID)
    with pytest.raises(NoSuchJobError):
        client.get_job_results(job.jobID)
    assert job.jobID not in {j.jobID for j in client.get_jobs().jobs}


def test_job_list_filters(client):
    ok = client.execute_process("primes_between", {"max_val": 10})
    bad = client.execute_process("sleep_a_while", {"duration": 0.05, "fail": True})
    for job in (ok, bad):
        client.wait_for_job(job.jobID, timeout=10)
    primes = client.get_jobs(process_id="primes_between")
    assert ok.jobID in {j.jobID for j in primes.jobs}
    assert {j.processID for j in primes.jobs} == {"primes_between"}
    failed = client.get_jobs(status="failed")
    assert bad.jobID in {j.jobID for j in failed.jobs}
    assert {j.status for j in failed.jobs} == {JobStatus.FAILED}
    both = client.get_jobs(process_id=["primes_between", "sleep_a_while"], status="failed")
    both_ids = {j.jobID for j in both.jobs}
    assert bad.jobID in both_ids and ok.jobID not in both_ids
    assert client.get_jobs(type="process", limit=1).jobs
    assert len(client.get_jobs(limit=2).jobs) == 2
    listed = {j.jobID: j for j in client.get_jobs().jobs}
    assert listed[ok.jobID].to_dict() == client.get_job(ok.jobID).to_dict()


def test_job_list_pages_with_next_links(client, live_server):
    for _ in range(3):
        client.execute_process("primes_between", {})
    everything = [j.jobID for j in client.get_jobs().jobs]
    assert len(everything) >= 3
    collected: list[str] = []
    url = f"{live_server}/jobs?limit=2"
    pages = 0
    while url:
        page = httpx.get(url).json()
        pages += 1
        assert len(page["jobs"]) <= 2
        collected += [j["jobID"] for j in page["jobs"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert pages >= 2
    assert collected[: len(everything)] == everything  # new jobs may have been appended
    assert len(collected) == len(set(collected))


def test_job_ids_are_sequential_and_unique(client):
    ids = [client.execute_process("primes_between", {}).jobID for _ in range(5)]
    numbers = [int(job_id.removeprefix("job_")) for job_id in ids]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    assert all(job_id.startswith("job_") for job_id in ids)


def test_status_document_on_the_wire(live_server):
    response = httpx.post(f"{live_server}/processes/primes_between/execution", json={},
                          headers={"Prefer": "respond-async"})
    job_id = response.json()["jobID"]
    info = wait_until(lambda: (i := httpx.get(f"{live_server}/jobs/{job_id}").json())
                      ["status"] == "successful" and i)
    assert response.headers["content-type"] == "application/json"
    assert set(info) == {"jobID", "processID", "type", "status", "message", "created",
                         "started", "finished", "updated"}
    assert info["message"] == "Done"
    for key in ("created", "started", "finished", "updated"):
        assert info[key].endswith("Z") and len(info[key]) == len("2025-10-07T14:27:18.702704Z")
    results = httpx.get(f"{live_server}/jobs/{job_id}/results")
    assert results.headers["content-type"] == "application/json"
    # no "response" in the request: raw, the standard's default, so the bare value
    assert json.loads(results.content) == list(
        [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79,
         83, 89, 97])


# -- draft-4 tuples -------------------------------------------------------------------------

TUPLE_PROCESS = '''
from procdeck.server import ProcessRegistry

registry = ProcessRegistry()
registry.add(
    {"id": "pair", "inputs": {"pair": {"schema": {
        "type": "array", "items": [{"type": "integer"}, {"type": "string"}],
        "additionalItems": False}}}, "outputs": {"return_value": {"schema": {}}}},
    lambda pair: pair,
)
'''


def test_list_form_items_are_checked_not_a_server_error(server_factory, tmp_path):
    # some servers still send draft-4 tuples (a list-form "items"): a bad value is a 400
    (tmp_path / "tuple_process.py").write_text(TUPLE_PROCESS)
    path = os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p)
    server = server_factory(processes=["tuple_process"], env={"PYTHONPATH": path})
    with Client(server.url) as api:
        with pytest.raises(BadRequestError) as caught:
            api.execute_process("pair", {"pair": [1, 2, 3]})
        assert caught.value.status == 400
        paths = {e["path"] for e in caught.value.problem.to_dict()["errors"]}
        assert paths == {"pair", "pair.1"}  # one item too many; the second is no string
        assert api.run_process("pair", {"pair": [1, "a"]}, timeout=10).value(
            "return_value") == [1, "a"]

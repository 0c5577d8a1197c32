"""The OGC API - Processes models: round trips, lenient parsing, requests, notebook display."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from procdeck.models import (
    ApiError,
    ConformanceDeclaration,
    JobInfo,
    JobList,
    JobResults,
    JobStatus,
    LandingPage,
    ProcessDescription,
    ProcessList,
    ProcessRequest,
    parse_status,
)

DATA = Path(__file__).resolve().parents[1] / "data"
DESCRIPTIONS = sorted(DATA.glob("*.json"))

SEED_JOB = {
    "created": "2025-10-07T14:27:18.752928Z",
    "finished": "2025-10-07T14:27:18.753685Z",
    "jobID": "job_2",
    "message": "Done",
    "processID": "primes_between",
    "started": "2025-10-07T14:27:18.753482Z",
    "status": "successful",
    "type": "process",
    "updated": "2025-10-07T14:27:18.753659Z",
}


def _with_default_min_occurs(document: dict) -> dict:
    expected = json.loads(json.dumps(document))
    for description in expected.get("inputs", {}).values():
        description.setdefault("minOccurs", 1)
    return expected


def test_the_sample_descriptions_are_there() -> None:
    assert {p.stem for p in DESCRIPTIONS} >= {
        "sleep_a_while",
        "primes_between",
        "simulate_scene",
        "return_base_model",
    }


@pytest.mark.parametrize("path", DESCRIPTIONS, ids=lambda p: p.stem)
def test_process_descriptions_round_trip(path: Path) -> None:
    document = json.loads(path.read_text())
    description = ProcessDescription.model_validate(document)
    dumped = description.to_dict()
    # Only the implicit minOccurs default (1) is made explicit; everything else is kept.
    assert dumped == _with_default_min_occurs(document)
    assert ProcessDescription.model_validate_json(description.to_json()) == description


def test_x_ui_hints_and_unknown_schema_keys_are_kept() -> None:
    description = ProcessDescription.model_validate_json((DATA / "218.json").read_text())
    schema = description.inputs["indicator_name"].schema_
    assert schema.model_extra == {"x-ui-widget": "radio", "x-ui-advanced": True, "x-ui-order": 30}
    assert schema.nullable is True
    assert schema.enum == ["NDVI", "LAI", "FAPAR", "FCOVER", "NDWI"]


def test_input_occurrence_helpers() -> None:
    description = ProcessDescription.model_validate_json((DATA / "sleep_a_while.json").read_text())
    duration = description.inputs["duration"]
    assert duration.is_optional and not duration.is_array
    assert duration.schema_.default == 10
    unbounded = ProcessDescription.model_validate(
        {"id": "p", "inputs": {"x": {"schema": {"type": "string"}, "maxOccurs": "unbounded"}}}
    ).inputs["x"]
    assert unbounded.is_array and not unbounded.is_optional


def test_explicit_null_default_survives_a_round_trip() -> None:
    description = ProcessDescription.model_validate(
        {"id": "p", "inputs": {"x": {"schema": {"type": "string", "default": None}}}}
    )
    assert description.to_dict()["inputs"]["x"]["schema"] == {"type": "string", "default": None}


def test_job_info_round_trips_the_seed_document() -> None:
    job = JobInfo.model_validate(SEED_JOB)
    assert job.status is JobStatus.SUCCESSFUL and job.is_final
    assert isinstance(job.created, datetime)
    assert job.to_dict() == SEED_JOB


def test_job_info_accepts_id_for_job_id_and_keeps_extras() -> None:
    job = JobInfo.model_validate({"id": "42", "status": "running", "owner": "bibo"})
    assert job.jobID == "42"
    assert job.model_extra == {"owner": "bibo"}
    assert job.to_dict()["jobID"] == "42"


@pytest.mark.parametrize(
    ("sent", "understood"),
    [
        ("queued", JobStatus.ACCEPTED),
        ("Succeeded", JobStatus.SUCCESSFUL),
        ("in_progress", JobStatus.RUNNING),
        ("canceled", JobStatus.DISMISSED),
        ("error", JobStatus.FAILED),
    ],
)
def test_status_synonyms_map_to_the_standard(sent: str, understood: JobStatus) -> None:
    assert parse_status(sent) is understood
    assert JobInfo(jobID="j", status=sent).status is understood


def test_unknown_status_stays_readable_and_not_final() -> None:
    job = JobInfo.model_validate({"jobID": "j", "status": "paused-by-operator"})
    assert job.status == "paused-by-operator"
    assert not job.is_final
    assert job.to_dict()["status"] == "paused-by-operator"


def test_lenient_progress_and_odd_timestamps() -> None:
    job = JobInfo.model_validate(
        {"jobID": "j", "status": "running", "progress": "42.6", "created": "yesterday"}
    )
    assert job.progress == 43
    assert job.created == "yesterday"


def test_job_list_parses_a_thousand_jobs() -> None:
    document = {"jobs": [{**SEED_JOB, "jobID": f"job_{i}"} for i in range(1000)], "links": []}
    jobs = JobList.model_validate_json(json.dumps(document))
    assert len(jobs.jobs) == 1000
    assert jobs.jobs[999].jobID == "job_999"


def test_process_request_keywords_are_inputs() -> None:
    assert ProcessRequest(duration=2).to_dict() == {"inputs": {"duration": 2}}
    assert ProcessRequest.model_validate({"fail": True}).to_dict() == {"inputs": {"fail": True}}
    mixed = ProcessRequest.model_validate(
        {"inputs": {"a": 1}, "b": 2, "response": "document", "outputs": {"r": {}}}
    )
    assert mixed.to_dict() == {
        "inputs": {"a": 1, "b": 2},
        "outputs": {"r": {}},
        "response": "document",
    }


def test_process_request_rejects_an_input_given_twice_and_bad_members() -> None:
    with pytest.raises(ValidationError, match="given both"):
        ProcessRequest.model_validate({"inputs": {"a": 1}, "a": 2})
    with pytest.raises(ValidationError):
        ProcessRequest(response="sometimes")


def test_results_unwrap_qualified_values_and_keep_links() -> None:
    results = JobResults(
        {
            "plain": 3,
            "qualified": {"value": {"a": 1}, "mediaType": "application/json"},
            "link": {"href": "http://x/y.zarr", "type": "application/zarr"},
        }
    )
    assert results.value("plain") == 3
    assert results.value("qualified") == {"a": 1}
    assert results.value("link") == {"href": "http://x/y.zarr", "type": "application/zarr"}
    assert set(results) == {"plain", "qualified", "link"} and len(results) == 3
    assert "plain" in results


@pytest.mark.parametrize(
    "model",
    [
        LandingPage(title="t", links=[{"href": "http://h/", "rel": "self"}]),
        ConformanceDeclaration(conformsTo=["c"]),
        ProcessList(processes=[{"id": "p"}]),
        JobInfo.model_validate(SEED_JOB),
        JobList(jobs=[SEED_JOB]),
        ApiError(title="x", status=400),
    ],
    ids=lambda m: type(m).__name__,
)
def test_models_display_as_json_in_notebooks(model) -> None:
    data, metadata = model._repr_json_()
    assert data == model.to_dict()
    assert metadata == {"expanded": True, "root": type(model).__name__}
    assert json.loads(model.to_json()) == data


def test_results_display_as_json_in_notebooks() -> None:
    data, metadata = JobResults({"return_value": 2.0})._repr_json_()
    assert data == {"return_value": 2.0}
    assert metadata["root"] == "JobResults"

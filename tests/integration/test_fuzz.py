"""Fuzz the real server from its own OpenAPI document (schemathesis), and every demo process
from its own input schemas (hypothesis-jsonschema).

- Every operation of ``/openapi.json`` gets valid and invalid requests (schemathesis
  strategies driven by Hypothesis here: its pytest plugin does not work with pytest 9; a
  bounded number of examples): no 5xx, and every answer has a documented status code, content type
  and headers and matches the documented schema; invalid requests are refused.
- Every process gets inputs generated (by schemathesis) from its description's input
  schemas: they are accepted (201) or refused with a 400 naming why, and accepted jobs
  end final; arbitrary JSON is refused with a 400 naming inputs, never a 5xx.

``PROCDECK_FUZZ_EXAMPLES`` sets the examples per operation (default 100).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from procdeck import Client
from procdeck.client import BadRequestError, ClientError
from procdeck.models import ProcessRequest
from procdeck.server import create_app
from procdeck.server.testing import ServerProcess

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("PROCDECK_FUZZ_EXAMPLES", "100"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
    suppress_health_check=list(HealthCheck),
)
counts = {"requests": 0, "process_requests": 0}

# The document the server serves (the demo processes), built without starting anything; a
# test checks it equals what the running server answers.
DOCUMENT = create_app().openapi()
OPERATIONS = [result.ok() for result in schemathesis.openapi.from_dict(DOCUMENT)
              .get_all_operations()]
# Invalid requests exist only where the document constrains something: a body or query
# parameters (any text is a valid path id: an unknown one is a documented 404).
PROCESS_IDS = ["sleep_a_while", "primes_between", "simulate_scene", "return_base_model",
               "showcase_inputs", "sample_table", "sample_features", "sample_quicklook",
               "sample_netcdf", "sample_zarr"]
JOB_IDS = ["job_0", "job_1", "job_2"]  # successful, failed, running (made by the fixture)
KNOWN = {"processID": PROCESS_IDS, "jobId": JOB_IDS, "outputId": ["return_value"],
         "path": ["table.csv"]}
CASES = [(operation, GenerationMode.POSITIVE, False) for operation in OPERATIONS]
CASES += [(operation, GenerationMode.NEGATIVE, False) for operation in OPERATIONS
          if operation.body or operation.query]
# Random ids mostly meet 404s: also aim at real processes and jobs, so that their 200s,
# 400s, 410s and 500s are checked against the document too. DELETE last: it removes jobs.
CASES += sorted(((operation, GenerationMode.POSITIVE, True) for operation in OPERATIONS
                 if operation.path_parameters), key=lambda case: case[0].method == "delete")


def known_ids(operation) -> st.SearchStrategy:
    names = [parameter.name for parameter in operation.path_parameters]
    name, *rest = names  # a job or process id, and for one output of a job its output id
    values = KNOWN[name]
    if operation.method == "post":
        # simulate_scene's defaults make a world-sized scene: its inputs are fuzzed below,
        # with a small one.
        values = [value for value in values if value != "simulate_scene"]
    return st.one_of(*(operation.as_strategy(path_parameters={
        name: value, **{other: KNOWN[other][0] for other in rest}}) for value in values))


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("fuzz")
    server = ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data",
                           log_path=root / "server.log", workers=4)
    server.start()
    # A few jobs in every state, so job routes meet real jobs too.
    with Client(server.url) as client:
        done = client.execute_process("primes_between", {"max_val": 20})
        failed = client.execute_process("sleep_a_while", {"duration": 0.05, "fail": True})
        running = client.execute_process("sleep_a_while", {"duration": 600})
        assert [done.jobID, failed.jobID, running.jobID] == JOB_IDS
        client.wait_for_job(done.jobID, timeout=30)
        client.wait_for_job(failed.jobID, timeout=30)
    try:
        yield server
    finally:
        print(f"\nfuzz: {counts['requests']} API requests, {counts['process_requests']} "
              f"process executions sent")  # the figures, with pytest -s
        server.stop()
        assert "Traceback" not in server.log(), server.log()[-3000:]


def test_the_fuzzed_document_is_the_one_the_server_serves(fuzzed_server) -> None:
    assert httpx.get(f"{fuzzed_server.url}/openapi.json").json() == DOCUMENT


@pytest.mark.parametrize(
    ("operation", "mode", "known"), CASES,
    ids=[f"{op.label} {mode}{' known ids' if known else ''}" for op, mode, known in CASES],
)
def test_every_operation_keeps_to_its_documentation(fuzzed_server, operation, mode,
                                                    known) -> None:
    # positive_data_acceptance is left out on purpose: the server checks more than a JSON
    # schema can say (each process's own inputs, real dates in `datetime` intervals), so a
    # schema-valid request may rightly get a 400 or 404; those are documented answers.
    strategy = known_ids(operation) if known else operation.as_strategy(generation_mode=mode)

    @FUZZ_SETTINGS
    @given(strategy)
    def run(case) -> None:
        counts["requests"] += 1
        case.call_and_validate(base_url=fuzzed_server.url,
                               excluded_checks=[positive_data_acceptance])

    run()


# -- each process from its own input schemas ------------------------------------------------------


@pytest.fixture(scope="module")
def process_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own: jobs left running by the API fuzzing do not queue these."""
    root = tmp_path_factory.mktemp("fuzz-processes")
    with ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data",
                       log_path=root / "server.log", workers=4) as server:
        yield server
        assert "Traceback" not in server.log(), server.log()[-3000:]


def descriptions(server: ServerProcess) -> dict[str, dict]:
    with httpx.Client(base_url=server.url) as http:
        ids = [p["id"] for p in http.get("/processes").json()["processes"]]
        return {pid: http.get(f"/processes/{pid}").json() for pid in ids}


def inputs_strategy(process_id: str, description: dict) -> st.SearchStrategy[dict]:
    """Execute bodies generated by schemathesis from the process's own input schemas.

    The input schemas are OpenAPI 3.0 flavoured (nullable, boolean exclusive
    bounds), so they go into a small OpenAPI 3.0 document of one operation.
    """
    inputs = description["inputs"]
    required = [name for name, spec in inputs.items()
                if spec.get("minOccurs", 1) > 0 and "default" not in spec["schema"]]
    body = {"type": "object", "required": ["inputs"], "additionalProperties": False,
            "properties": {"inputs": {
                "type": "object", "additionalProperties": False, "required": required,
                "properties": {name: spec["schema"] for name, spec in inputs.items()},
            }}}
    document = {
        "openapi": "3.0.3", "info": {"title": process_id, "version": "1"},
        "paths": {f"/processes/{process_id}/execution": {"post": {
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": body}}},
            "responses": {"201": {"description": "Job created"}},
        }}},
    }
    [operation] = [r.ok() for r in schemathesis.openapi.from_dict(document)
                   .get_all_operations()]
    return operation.as_strategy().map(lambda case: case.body["inputs"])


PROCESSES = ["sleep_a_while", "primes_between", "return_base_model", "showcase_inputs",
             "simulate_scene", "sample_table", "sample_features", "sample_quicklook",
             "sample_netcdf", "sample_zarr"]
SMALL = {"sample_table": {"rows": 20}, "sample_features": {"count": 20},
         "sample_quicklook": {"width": 32, "height": 32},
         "sample_netcdf": {"time_steps": 2, "resolution": 10.0},
         "sample_zarr": {"megabytes": 0.5}}
"""Small sizes for the file-writing processes, whatever was drawn (bounded disk and time)."""


@pytest.mark.parametrize("process_id", PROCESSES)
def test_each_process_takes_what_its_description_allows(process_server, process_id) -> None:
    strategy = inputs_strategy(process_id, descriptions(process_server)[process_id])
    accepted: list[str] = []

    @FUZZ_SETTINGS
    @given(strategy)
    def run(inputs: dict) -> None:
        if process_id == "sleep_a_while":  # quick, whatever was drawn (default: 10 s)
            inputs = {**inputs, "duration": min(abs(inputs.get("duration", 0.05)), 0.05)}
        if process_id == "simulate_scene":  # a small scene, whatever was drawn
            inputs = {**inputs, "bbox": [0, 0, 2, 2], "resolution": 1.0,
                      "start_date": "2025-01-01", "end_date": "2025-01-03"}
        if process_id in SMALL:
            inputs = {**inputs, **SMALL[process_id]}
        counts["process_requests"] += 1
        with Client(process_server.url) as client:
            try:
                job = client.execute_process(process_id, inputs)
            except BadRequestError as refused:
                # Schema-valid values the function itself refuses (e.g. a date the
                # format check rejects) are named; never a server error.
                assert refused.status == 400 and refused.detail, refused
                return
            accepted.append(job.jobID)

    run()
    assert accepted, "no generated input was accepted"
    with Client(process_server.url) as client:
        for job_id in accepted:
            final = client.wait_for_job(job_id, timeout=60, poll_interval=0.05)
            assert final.status in ("successful", "failed"), final
            if final.status == "failed":  # a function may refuse values: with a message
                assert final.message and "Traceback" not in final.message


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("process_id", PROCESSES)
def test_arbitrary_inputs_are_refused_by_name_never_crash(process_server, process_id) -> None:
    names = list(descriptions(process_server)[process_id]["inputs"])
    # a loose key naming a part of the execute request (inputs, outputs, response,
    # subscriber) is that part, as the client's contract says, and is checked by the client
    request_keys = set(ProcessRequest.model_fields)
    keys = st.sampled_from(names) | st.text(min_size=1, max_size=10).filter(
        lambda key: key not in request_keys)

    @FUZZ_SETTINGS
    @given(st.dictionaries(keys, JSON, max_size=5))
    def run(inputs: dict) -> None:
        counts["process_requests"] += 1
        if process_id == "sleep_a_while" and "duration" in inputs:
            return  # arbitrary valid durations would sleep for long
        with Client(process_server.url) as client:
            try:
                client.execute_process(process_id, inputs)
            except BadRequestError as refused:
                problem = refused.problem.to_dict() if refused.problem else {}
                assert problem.get("errors"), problem
                for error in problem["errors"]:
                    assert error["input"] in inputs or error["input"] in names
            except ClientError as other:
                raise AssertionError(f"not a 400: {other}") from other

    run()


def test_the_log_shows_no_unexpected_error(fuzzed_server) -> None:
    log = Path(fuzzed_server.log_path).read_text(errors="replace")
    assert "unexpected error" not in log and "Traceback" not in log, log[-3000:]

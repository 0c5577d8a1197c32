"""A third-party client, OWSLib (``owslib.ogcapi.processes.Processes``), against a real server.

What this module proves: OWSLib, used the way its own documentation shows, works against
``procdeck serve``. It reads the landing page, the conformance declaration and the
OpenAPI 3.0 service description (``api()``), lists and describes the demo processes,
executes synchronously (``Prefer: respond-sync``, ``response`` document and raw) and
asynchronously (``Prefer: respond-async``), gets the job's ``Location`` from
``response_headers``, and surfaces the server's RFC 7807 errors. The tests audit every
socket this process opens and fail if any reaches a host other than loopback.

What OWSLib 0.35 cannot do (client limitations, not server bugs):

- It has no job methods: no status, no results, no dismiss, no job list. Polling
  ``/jobs/{jobId}`` and reading ``/jobs/{jobId}/results`` are done here with plain httpx
  from the ``Location`` header OWSLib exposes.
- ``execute()`` returns the parsed body only, never the status code, so a caller cannot
  tell a synchronous results document (200) from a statusInfo of a job that the server
  ran asynchronously anyway (201, e.g. an async-only process asked with
  ``respond-sync``) except by looking at the body or at ``response_headers``.
- Errors come out as a bare ``RuntimeError`` whose message is the response text (here
  the problem JSON); there is no status code or exception type on the exception.
- ``execute()`` writes ``Prefer`` into the module-wide ``owslib.ogcapi.REQUEST_HEADERS``
  dict that every ``API`` instance shares, so the preference leaks into every later
  OWSLib request. The ``_owslib_headers`` fixture restores that dict after each test.
- No request timeout reaches ``requests`` (``timeout=`` is stored but never passed), so
  a hung server would hang the client; the module-wide ``pytest.mark.timeout`` guards
  against that here.
"""

from __future__ import annotations

import ipaddress
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import owslib.ogcapi
import pytest
from owslib.ogcapi.processes import Processes

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]

CORE = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core"
OGC_EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
DEMO_PROCESS_IDS = {
    "sleep_a_while", "primes_between", "simulate_scene", "return_base_model", "showcase_inputs",
    "sample_table", "sample_features", "sample_quicklook", "sample_netcdf", "sample_zarr",
}
PRIMES_TO_20 = [2, 3, 5, 7, 11, 13, 17, 19]
FINAL_STATES = {"successful", "failed", "dismissed"}


# -- no outside host ------------------------------------------------------------------------


class OutboundAudit:
    """Records (and blocks) every socket connect or name lookup that leaves loopback.

    An audit hook cannot be removed once added, so it is added once per interpreter and
    only acts while :attr:`active` is true.
    """

    def __init__(self) -> None:
        self.active = False
        self.outside: list[str] = []
        sys.addaudithook(self._hook)

    @staticmethod
    def _is_local(host: object) -> bool:
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if not isinstance(host, str) or host == "localhost":
            return True  # AF_UNIX paths and the like stay on this machine
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False  # a host name other than localhost

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        if event == "socket.connect":
            address = args[1]
            host = address[0] if isinstance(address, tuple) else address
        elif event == "socket.getaddrinfo":
            host = args[0]
            if host is None:
                return
        else:
            return
        if not self._is_local(host):
            self.outside.append(f"{event} {host!r}")
            raise ConnectionRefusedError(f"test reached outside host {host!r}")


_AUDIT: OutboundAudit | None = None


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    global _AUDIT
    if _AUDIT is None:
        _AUDIT = OutboundAudit()
    _AUDIT.outside.clear()
    _AUDIT.active = True
    try:
        yield
    finally:
        _AUDIT.active = False
    assert _AUDIT.outside == [], f"reached outside hosts: {_AUDIT.outside}"


@pytest.fixture(autouse=True)
def _owslib_headers() -> Iterator[None]:
    """Undo OWSLib's writes to its shared ``REQUEST_HEADERS`` (see the module docstring)."""
    saved = dict(owslib.ogcapi.REQUEST_HEADERS)
    yield
    owslib.ogcapi.REQUEST_HEADERS.clear()
    owslib.ogcapi.REQUEST_HEADERS.update(saved)


# -- the server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server_url(live_server: str) -> str:
    """The session's real server (tests/conftest.py): OWSLib needs nothing of its own."""
    return live_server


@pytest.fixture
def processes(server_url: str) -> Processes:
    return Processes(server_url)


def job_location(processes: Processes) -> str:
    """The ``Location`` header of OWSLib's last answer: the job URL of an execute request."""
    headers = processes.response_headers
    assert headers is not None and "Location" in headers, headers
    location: str = headers["Location"]
    return location


def wait_for_final_status(location: str, timeout: float = 5.0) -> dict[str, Any]:
    """Poll ``GET {location}`` (a job URL) with httpx until the job is final: OWSLib cannot."""
    deadline = time.monotonic() + timeout
    while True:
        answer = httpx.get(location, timeout=5.0)
        assert answer.status_code == 200, answer.text
        status: dict[str, Any] = answer.json()
        if status["status"] in FINAL_STATES:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"job at {location} still {status['status']} after {timeout} s")
        time.sleep(0.02)


def job_results(location: str) -> dict[str, Any]:
    """``GET {location}/results`` with httpx (OWSLib has no results method)."""
    answer = httpx.get(f"{location}/results", timeout=5.0)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    results: dict[str, Any] = answer.json()
    return results


def problem_of(error: RuntimeError) -> dict[str, Any]:
    """The RFC 7807 document OWSLib put in the message of its ``RuntimeError``."""
    problem: dict[str, Any] = json.loads(str(error))
    return problem


# -- capabilities ---------------------------------------------------------------------------


def test_landing_page_and_conformance(processes: Processes, server_url: str) -> None:
    assert processes.url == f"{server_url}/"
    assert "OGC API - Processes" in processes.response["description"]
    rels = {link["rel"] for link in processes.links}
    assert {"self", "service-desc", "http://www.opengis.net/def/rel/ogc/1.0/conformance",
            "http://www.opengis.net/def/rel/ogc/1.0/processes"} <= rels

    conforms_to = processes.conformance()["conformsTo"]
    assert CORE in conforms_to
    assert "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/oas30" in conforms_to


def test_api_reads_the_openapi_30_service_description(processes: Processes) -> None:
    document = processes.api()
    # OWSLib only follows a service-desc typed ...openapi+json;version=3.0 (or the YAML one)
    assert document["openapi"].startswith("3.0.")
    paths = document["paths"]
    for path in ("/", "/conformance", "/processes", "/processes/{processID}",
                 "/processes/{processID}/execution", "/jobs", "/jobs/{jobId}",
                 "/jobs/{jobId}/results"):
        assert path in paths, path
    assert "post" in paths["/processes/{processID}/execution"]


# -- processes ------------------------------------------------------------------------------


def test_processes_lists_every_demo_process(processes: Processes) -> None:
    summaries = processes.processes()
    assert {summary["id"] for summary in summaries} == DEMO_PROCESS_IDS
    by_id = {summary["id"]: summary for summary in summaries}
    assert by_id["primes_between"]["title"] == "Prime Processor"
    assert "sync-execute" in by_id["primes_between"]["jobControlOptions"]
    assert "sync-execute" not in by_id["sleep_a_while"]["jobControlOptions"]


def test_process_describes_primes_between(processes: Processes) -> None:
    description = processes.process("primes_between")
    assert description["id"] == "primes_between"
    assert description["title"] == "Prime Processor"
    assert set(description["jobControlOptions"]) >= {"sync-execute", "async-execute"}
    inputs = description["inputs"]
    assert set(inputs) == {"min_val", "max_val"}
    assert inputs["min_val"]["schema"] == {"type": "integer", "minimum": 0, "default": 0}
    assert inputs["max_val"]["schema"] == {"type": "integer", "maximum": 100, "default": 100}
    assert inputs["min_val"]["minOccurs"] == 0 and inputs["max_val"]["minOccurs"] == 0
    assert description["outputs"]["return_value"]["schema"] == {
        "type": "array", "items": {"type": "integer"},
    }


def test_process_unknown_id_raises_with_the_problem(processes: Processes) -> None:
    with pytest.raises(RuntimeError) as caught:
        processes.process("no_such_process")
    problem = problem_of(caught.value)
    assert problem["type"] == OGC_EXCEPTIONS + "no-such-process"
    assert problem["status"] == 404


# -- execution ------------------------------------------------------------------------------


def test_execute_sync_returns_the_results_document(processes: Processes) -> None:
    results = processes.execute("primes_between", {"min_val": 0, "max_val": 20})
    assert results == {"return_value": PRIMES_TO_20}


def test_execute_sync_raw_returns_the_bare_value(processes: Processes) -> None:
    value = processes.execute("primes_between", {"min_val": 10, "max_val": 20}, response="raw")
    assert value == [11, 13, 17, 19]


def test_execute_sync_without_inputs_uses_the_defaults(processes: Processes) -> None:
    # OWSLib leaves "inputs" out of the body when it is empty
    results = processes.execute("primes_between", {})
    assert results["return_value"][:3] == [2, 3, 5]
    assert results["return_value"][-1] == 97 and len(results["return_value"]) == 25


def test_execute_sync_with_an_object_input(processes: Processes) -> None:
    spec = {"threshold": 0.25, "factor": 2.0}
    results = processes.execute("return_base_model", {"scene_spec": spec})
    # in a results document an object value is qualified, so it cannot pass for a link
    assert results == {"return_value": {"value": spec, "mediaType": "application/json"}}
    raw = processes.execute("return_base_model", {"scene_spec": spec}, response="raw")
    assert raw == spec


def test_execute_async_of_a_sync_capable_process(processes: Processes) -> None:
    status = processes.execute("primes_between", {"min_val": 0, "max_val": 20}, async_=True)
    assert status["status"] in {"accepted", "running", "successful"}
    assert status["processID"] == "primes_between"
    assert processes.response_headers["Preference-Applied"] == "respond-async"
    location = job_location(processes)
    assert location.endswith(f"/jobs/{status['jobID']}")

    final = wait_for_final_status(location)
    assert final["status"] == "successful" and final["jobID"] == status["jobID"]
    assert job_results(location) == {"return_value": PRIMES_TO_20}


def test_execute_of_an_async_only_process_gives_a_job(processes: Processes) -> None:
    # sleep_a_while has no sync-execute: the server makes a job although OWSLib sent
    # Prefer: respond-sync (async_=False), and OWSLib hands back the statusInfo body.
    status = processes.execute("sleep_a_while", {"duration": 0.2})
    assert status["status"] in {"accepted", "running"}
    assert status["processID"] == "sleep_a_while"
    location = job_location(processes)
    assert location.endswith(f"/jobs/{status['jobID']}")

    final = wait_for_final_status(location)
    assert final["status"] == "successful"
    slept = job_results(location)["return_value"]
    assert 0.2 <= slept < 3.0


def test_execute_async_failing_job_reports_failed(processes: Processes) -> None:
    status = processes.execute("sleep_a_while", {"duration": 0.1, "fail": True}, async_=True)
    location = job_location(processes)
    final = wait_for_final_status(location)
    assert final["jobID"] == status["jobID"]
    assert final["status"] == "failed"
    assert "Failed on purpose" in final["message"]


def test_execute_bad_input_raises_with_the_problem(processes: Processes) -> None:
    with pytest.raises(RuntimeError) as caught:
        processes.execute("primes_between", {"min_val": -5, "max_val": 20})
    problem = problem_of(caught.value)
    assert problem["type"] == OGC_EXCEPTIONS + "invalid-input"
    assert problem["status"] == 400
    assert "min_val" in problem["detail"]


def test_execute_unknown_process_raises_with_the_problem(processes: Processes) -> None:
    with pytest.raises(RuntimeError) as caught:
        processes.execute("no_such_process", {"x": 1})
    problem = problem_of(caught.value)
    assert problem["type"] == OGC_EXCEPTIONS + "no-such-process"
    assert problem["status"] == 404

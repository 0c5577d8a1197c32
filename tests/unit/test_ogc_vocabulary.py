"""procdeck.ogc is the one home of the standard's words and of the execute request's shape.

Client, server and app use its constants and its normalisation, so what the server
declares is what the vocabulary lists, and the client, the app's poller and the
server's execute route agree on the body of every request.
"""

from __future__ import annotations

import ast
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import procdeck
from procdeck import Client, ProcessRequest
from procdeck.client import InvalidRequestError
from procdeck.gui.jobs.poller import JobPoller
from procdeck.models import JobResults, Output, Subscriber
from procdeck.ogc import display, models, vocabulary
from procdeck.ogc.requests import RequestError, execute_document, request_document
from procdeck.ogc.vocabulary import (
    CONF_JOB_LIST,
    DECLARED_CONFORMANCE,
    FINAL_STATES,
    JOB_STATES,
    REL_CONFORMANCE,
    REL_JOB_LIST,
    REL_PROCESSES,
    REL_SELF,
    JobStatus,
)
from procdeck.server import ProcessRegistry, create_app

SRC = Path(procdeck.__file__).parent
SERVER = "http://server.test"
HOOK = "http://hooks.test/done"

# -- the words ----------------------------------------------------------------------------------


def test_job_states_live_in_the_vocabulary_and_models_export_them() -> None:
    assert models.JobStatus is JobStatus
    assert [s.value for s in JOB_STATES] == [
        "accepted", "running", "successful", "failed", "dismissed"]
    assert {s for s in JobStatus if s.is_final} == FINAL_STATES
    assert "failed" in FINAL_STATES and "running" not in FINAL_STATES  # plain strings too


def test_every_constant_is_a_documented_string() -> None:
    body = ast.parse((SRC / "ogc" / "vocabulary.py").read_text()).body
    documented = set()
    for node, after in itertools.pairwise(body):  # a constant, then its docstring
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and isinstance(after, ast.Expr) and isinstance(
                after.value, ast.Constant):
            documented.add(target.id)
    assert set(vocabulary.__all__) - {"JobStatus"} <= documented
    for name in vocabulary.__all__:
        value = getattr(vocabulary, name)
        if isinstance(value, str):
            assert value.strip() == value and value


def test_no_module_spells_a_conformance_class_or_an_ogc_relation_itself() -> None:
    spelled = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "vocabulary.py"
        and any(part in path.read_text() for part in (
            "ogcapi-processes-1/1.0/conf/", "def/rel/ogc/1.0/",
            "def/exceptions/ogcapi-processes-1"))
    ]
    assert spelled == []


# -- layering -----------------------------------------------------------------------------------


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at module level or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_ogc_imports_nothing_of_procdeck_outside_it_and_no_web_library() -> None:
    for path in (SRC / "ogc").glob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in {"httpx", "fastapi", "starlette", "panel", "bokeh", "param"}, path
            if top == "procdeck":
                assert name.startswith("procdeck.ogc"), (path.name, name)


def test_the_client_and_the_models_never_import_the_gui() -> None:
    for path in [*(SRC / "client").glob("*.py"), *(SRC / "ogc").glob("*.py")]:
        assert not any(name.startswith("procdeck.gui") for name in _imports(path)), path


def test_importing_the_vocabulary_loads_no_http_and_no_gui() -> None:
    code = ("import sys, procdeck.ogc.requests, procdeck.ogc.vocabulary, procdeck.ogc.display;"
            "print(sorted(m for m in ('httpx', 'fastapi', 'panel', 'procdeck.gui')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_results_display_comes_from_the_hook_the_gui_registers() -> None:
    hook = display.get_hook(display.RESULTS_HOOK)
    assert hook is not None and hook.__module__ == "procdeck.gui.hooks"
    assert "text/html" in JobResults({"x": 1})._repr_mimebundle_()


def test_without_a_results_hook_results_display_as_json(monkeypatch) -> None:
    monkeypatch.setattr(display, "_hooks", {})
    monkeypatch.setattr(display, "_providers", [])
    bundle = JobResults({"x": 1})._repr_mimebundle_()
    assert bundle["application/json"] == {"x": 1}
    assert "text/html" not in bundle


def test_a_provider_that_is_not_installed_is_skipped(monkeypatch) -> None:
    monkeypatch.setattr(display, "_hooks", {})
    monkeypatch.setattr(display, "_providers", ["procdeck.nowhere.hooks"])
    assert display.get_hook(display.NOTEBOOK_HOOK) is None
    assert display._providers == []


# -- the server declares the vocabulary ---------------------------------------------------------


def echo_registry() -> ProcessRegistry:
    registry = ProcessRegistry()

    @registry.process(job_control_options=("sync-execute", "async-execute", "dismiss"))
    def echo(duration: float = 0.0, fail: bool = False) -> float:
        """Returns duration."""
        return duration

    return registry


@pytest.fixture
def app_client(tmp_path: Path):
    app = create_app(echo_registry(), store=tmp_path / "jobs.sqlite", data_dir=tmp_path)
    with TestClient(app) as test_client:
        yield test_client


def test_the_server_declares_the_vocabularys_conformance_classes(app_client) -> None:
    assert tuple(app_client.get("/conformance").json()["conformsTo"]) == DECLARED_CONFORMANCE
    assert CONF_JOB_LIST in DECLARED_CONFORMANCE
    rels = {link["rel"]: link["href"] for link in app_client.get("/").json()["links"]}
    for rel, path in ((REL_CONFORMANCE, "/conformance"), (REL_PROCESSES, "/processes"),
                      (REL_JOB_LIST, "/jobs"), (REL_SELF, "/")):
        assert rels[rel].endswith(path)


# -- one request document -----------------------------------------------------------------------

OUTPUTS = {"return_value": {"transmissionMode": "value"}}
REQUESTS: list[tuple[str, Any, dict[str, Any]]] = [
    ("loose-dict", {"duration": 1}, {"inputs": {"duration": 1}}),
    ("standard-dict",
     {"inputs": {"duration": 1}, "outputs": OUTPUTS, "response": "document",
      "subscriber": {"successUrl": HOOK}},
     {"inputs": {"duration": 1}, "outputs": OUTPUTS, "response": "document",
      "subscriber": {"successUri": HOOK}}),
    ("model",
     ProcessRequest(inputs={"duration": 1}, outputs={"return_value": Output(
         transmissionMode="value")}, response="raw", subscriber=Subscriber(successUri=HOOK)),
     {"inputs": {"duration": 1}, "outputs": OUTPUTS, "response": "raw",
      "subscriber": {"successUri": HOOK}}),
    ("model-with-loose-inputs", ProcessRequest(duration=1, fail=False),
     {"inputs": {"duration": 1, "fail": False}}),
    ("nothing", None, {"inputs": {}}),
]


class Recorder:
    """A mock server answering every execution with 201 and remembering the bodies."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return httpx.Response(201, json={"jobID": "j1", "status": "accepted"},
                              headers={"Location": f"{SERVER}/jobs/j1"})


@pytest.mark.parametrize(("given", "expected"), [(g, e) for _, g, e in REQUESTS],
                         ids=[name for name, _, _ in REQUESTS])
def test_client_poller_and_server_make_the_same_document(app_client, given, expected) -> None:
    assert request_document(given) == expected

    recorder = Recorder()
    client = Client(SERVER, transport=httpx.MockTransport(recorder))
    job = client.execute_process("echo", given)
    sent = recorder.bodies[-1]
    # asynchronous execution asks for a results document unless the request chose
    assert sent == {"response": "document", **expected}

    poller = JobPoller(client)
    poller.track(job.jobID, "echo", given)
    # None tells the poller the request is unknown: nothing to run again
    assert poller.request_for(job.jobID) == (None if given is None else expected)

    assert execute_document(sent).document == sent
    assert execute_document(expected).document == expected
    if "subscriber" not in expected:  # callbacks need an allowed host; the shape is what counts
        answer = app_client.post("/processes/echo/execution", json=expected,
                                 headers={"Prefer": "respond-async"})
        assert answer.status_code == 201, answer.text


def test_keyword_members_join_the_request() -> None:
    assert request_document({"duration": 1}, subscriber={"successUrl": HOOK}, fail=True) == {
        "inputs": {"duration": 1, "fail": True}, "subscriber": {"successUri": HOOK}}
    assert request_document(duration=2) == {"inputs": {"duration": 2}}
    assert request_document(ProcessRequest(duration=1), response="document") == {
        "inputs": {"duration": 1}, "response": "document"}


@pytest.mark.parametrize(("given", "members", "words"), [
    ({"duration": 1}, {"duration": 2}, "given twice"),
    ({"subscriber": {"successUri": HOOK}}, {"subscriber": {"successUri": HOOK + "/x"}},
     "different subscriber"),
    ({}, {"subscriber": {"inProgressUri": HOOK}}, "invalid subscriber: successUri"),
    ({"response": "pdf"}, {}, "invalid response"),
    ({"inputs": {"a": 1}, "a": 2}, {}, "invalid execute request"),
    (3, {}, "request must be a ProcessRequest or a dict"),
])
def test_a_request_that_cannot_be_made_standard_is_refused(given, members, words) -> None:
    with pytest.raises(RequestError, match=words):
        request_document(given, **members)
    if members.keys() <= {"subscriber"}:  # what the client takes besides the request
        client = Client(SERVER, transport=httpx.MockTransport(Recorder()))
        with pytest.raises(InvalidRequestError, match=words):  # the client's error, same words
            client.execute_process("echo", given, subscriber=members.get("subscriber"))


def test_the_wire_form_is_strict_about_members_and_takes_the_legacy_mode_out() -> None:
    assert execute_document(None).document == {}
    body = execute_document({"inputs": {"mode": "fast"}, "mode": "async"})
    assert body.document == {"inputs": {"mode": "fast"}} and body.asks_async
    assert not execute_document({"inputs": {}, "mode": "sync"}).asks_async
    for bad, words in (([1], "JSON object"), ({"duration": 1}, "Unknown member"),
                       ({"inputs": []}, "'inputs' must be an object"),
                       ({"response": "pdf"}, "'response' must be")):
        with pytest.raises(RequestError, match=words):
            execute_document(bad)


def test_the_server_still_honours_the_legacy_mode(app_client) -> None:
    synchronous = app_client.post("/processes/echo/execution", json={"inputs": {"duration": 1}})
    assert synchronous.status_code == 200
    legacy = app_client.post("/processes/echo/execution",
                             json={"inputs": {"duration": 1}, "mode": "async"})
    assert legacy.status_code == 201 and legacy.headers["Location"]

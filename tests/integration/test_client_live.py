"""The client (sync and async) against the real procdeck server: every method, every error.

``live_server`` (tests/conftest.py) is one real ``procdeck serve`` with the demo
processes for the whole session; other test files use it too, so these tests
only look at the jobs they create.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from procdeck.client import (
    AsyncClient,
    BadRequestError,
    Client,
    HTTPStatusError,
    JobFailedError,
    NoSuchJobError,
    NoSuchProcessError,
    ResultNotReadyError,
    ServerError,
    WaitTimeoutError,
)
from procdeck.models import (
    ConformanceDeclaration,
    JobInfo,
    JobList,
    JobStatus,
    LandingPage,
    ProcessDescription,
    ProcessList,
    ProcessRequest,
)

pytestmark = pytest.mark.integration

CONF = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/"
DEMO_PROCESSES = {"sleep_a_while", "primes_between", "simulate_scene", "return_base_model"}
FAST = {"poll_interval": 0.05, "max_interval": 0.2}


class AsyncAsSync:
    """Runs an AsyncClient's coroutine methods to completion on a private loop."""

    def __init__(self, client: AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if inspect.iscoroutinefunction(attr):
            return lambda *args, **kwargs: self._loop.run_until_complete(attr(*args, **kwargs))
        return attr

    def __repr__(self) -> str:
        return repr(self._client)


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("PROCDECK_SERVER_URL", "PROCDECK_ACCESS_TOKEN", "PROCDECK_USER_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROCDECK_CONFIG", str(tmp_path / "absent.toml"))


@pytest.fixture(params=["sync", "async"])
def connect(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``connect(url, **kwargs)``: a Client, or an AsyncClient behind a sync facade."""
    loop = asyncio.new_event_loop()
    made: list[Any] = []

    def make(url: str, **kwargs: Any) -> Any:
        if request.param == "sync":
            client: Any = Client(url, **kwargs)
        else:
            client = AsyncAsSync(AsyncClient(url, **kwargs), loop)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
    loop.close()


@pytest.fixture
def client(connect, live_server: str) -> Any:
    return connect(live_server)


def dismiss_quietly(client: Any, job_id: str) -> None:
    """Clean up a job of this test; a job already gone is fine."""
    try:
        client.dismiss_job(job_id)
    except NoSuchJobError:
        return


# -- the seed walkthrough ---------------------------------------------------------------------


def test_seed_walkthrough(connect, live_server: str) -> None:
    client = connect(live_server, access_token="1234", user_name="bibo")
    assert json.loads(repr(client)) == {
        "access_token": "****",
        "server_url": live_server,
        "user_name": "bibo",
    }

    capabilities = client.get_capabilities()
    assert isinstance(capabilities, LandingPage)
    (self_link,) = [link for link in capabilities.links if link.rel == "self"]
    assert (self_link.href, self_link.title) == (f"{live_server}/", "get_capabilities")
    services = {link.title for link in capabilities.links if link.rel == "service"}
    assert services >= {"openapi", "get_conformance", "get_processes", "get_jobs", "dismiss_job"}

    conformance = client.get_conformance()
    assert isinstance(conformance, ConformanceDeclaration)
    for name in ("core", "ogc-process-description", "json", "oas30", "job-list", "dismiss"):
        assert CONF + name in conformance.conformsTo

    processes = client.get_processes()
    assert isinstance(processes, ProcessList)
    titles = {p.id: p.title for p in processes.processes}
    assert set(titles) >= DEMO_PROCESSES
    assert titles["sleep_a_while"] == "Sleep Processor"
    assert titles["primes_between"] == "Prime Processor"

    sleep = client.get_process(process_id="sleep_a_while")
    assert isinstance(sleep, ProcessDescription)
    assert sleep.inputs["duration"].minOccurs == 0
    assert sleep.inputs["duration"].schema_.type == "number"
    assert sleep.inputs["fail"].schema_.default is False
    assert sleep.outputs["return_value"].schema_.type == "number"

    assert isinstance(client.get_jobs(), JobList)

    job_0 = client.execute_process(process_id="sleep_a_while", request=ProcessRequest(duration=2))
    job_1 = client.execute_process(process_id="sleep_a_while", request={"fail": True})
    job_2 = client.execute_process(process_id="primes_between", request={})
    for job, process_id in (
        (job_0, "sleep_a_while"),
        (job_1, "sleep_a_while"),
        (job_2, "primes_between"),
    ):
        assert isinstance(job, JobInfo)
        assert job.processID == process_id
        assert job.type == "process"
        assert job.status in (JobStatus.ACCEPTED, JobStatus.RUNNING, JobStatus.SUCCESSFUL)
    assert len({job_0.jobID, job_1.jobID, job_2.jobID}) == 3

    assert client.wait_for_job(job_2.jobID, timeout=30, **FAST).status is JobStatus.SUCCESSFUL
    listed = {j.jobID: j for j in client.get_jobs().jobs}
    assert {job_0.jobID, job_1.jobID, job_2.jobID} <= set(listed)
    assert client.get_job(job_2.jobID).status is JobStatus.SUCCESSFUL
    assert client.get_job_result(job_2.jobID).value("return_value")[:3] == [2, 3, 5]

    for job in (job_0, job_1, job_2):
        client.dismiss_job(job.jobID)
    after = {j.jobID: j for j in client.get_jobs().jobs}
    # running jobs stay listed as dismissed; the finished one is gone (as in the seed)
    assert after[job_0.jobID].status is JobStatus.DISMISSED
    assert job_2.jobID not in after
    with pytest.raises(NoSuchJobError):
        client.get_job(job_2.jobID)


# -- executing, waiting, results --------------------------------------------------------------


def test_keyword_inputs_really_reach_the_process(client) -> None:
    results = client.run_process("sleep_a_while", ProcessRequest(duration=0.3), timeout=30)
    assert 0.3 <= results.value("return_value") < 2.0
    with pytest.raises(JobFailedError) as info:
        client.run_process("sleep_a_while", {"duration": 0.2, "fail": True}, timeout=30)
    assert info.value.job.status is JobStatus.FAILED
    assert "Failed on purpose" in (info.value.job.message or "")


def test_run_process_primes(client) -> None:
    results = client.run_process("primes_between", {"min_val": 2, "max_val": 20}, timeout=30)
    assert results.value("return_value") == [2, 3, 5, 7, 11, 13, 17, 19]


def test_return_base_model_round_trips_an_object(client) -> None:
    spec = {"threshold": 0.5, "factor": 2.0}
    results = client.run_process("return_base_model", {"scene_spec": spec}, timeout=30)
    assert results.value("return_value") == spec


def test_wait_for_job_reports_progress(client) -> None:
    job = client.execute_process("sleep_a_while", {"duration": 0.8})
    updates: list[JobInfo] = []
    final = client.wait_for_job(job.jobID, timeout=30, on_update=updates.append, **FAST)
    assert final.status is JobStatus.SUCCESSFUL and final.progress == 100
    assert updates[-1] == final
    progress = [u.progress for u in updates if u.progress is not None]
    assert progress == sorted(progress) and len(progress) >= 2
    assert JobStatus.RUNNING in {u.status for u in updates}


def test_wait_timeout_then_dismiss_a_running_job(client) -> None:
    job = client.execute_process("sleep_a_while", {"duration": 30})
    with pytest.raises(WaitTimeoutError) as info:
        client.wait_for_job(job.jobID, timeout=0.3, **FAST)
    assert info.value.job.status in (JobStatus.ACCEPTED, JobStatus.RUNNING)
    dismissed = client.dismiss_job(job.jobID)
    assert dismissed.status is JobStatus.DISMISSED
    assert client.wait_for_job(job.jobID, timeout=10, **FAST).status is JobStatus.DISMISSED
    with pytest.raises(HTTPStatusError) as gone:
        client.get_job_results(job.jobID)
    assert gone.value.status == 410


def test_results_before_the_job_is_done(client) -> None:
    job = client.execute_process("sleep_a_while", {"duration": 30})
    try:
        with pytest.raises(ResultNotReadyError) as info:
            client.get_job_results(job.jobID)
        assert info.value.status == 404
    finally:
        dismiss_quietly(client, job.jobID)


def test_results_of_a_failed_job_carry_the_error(client) -> None:
    job = client.execute_process("sleep_a_while", {"duration": 0.1, "fail": True})
    assert client.wait_for_job(job.jobID, timeout=30, **FAST).status is JobStatus.FAILED
    with pytest.raises(ServerError) as info:
        client.get_job_results(job.jobID)
    assert "Failed on purpose" in str(info.value)
    assert info.value.traceback and "RuntimeError" in info.value.traceback


# -- listing ----------------------------------------------------------------------------------


def test_get_jobs_filters(client) -> None:
    job = client.execute_process("primes_between", {"max_val": 10})
    client.wait_for_job(job.jobID, timeout=30, **FAST)
    ours = client.get_jobs(process_id="primes_between", status=["successful"])
    assert job.jobID in {j.jobID for j in ours.jobs}
    assert {j.processID for j in ours.jobs} == {"primes_between"}
    assert {j.status for j in ours.jobs} == {JobStatus.SUCCESSFUL}
    assert job.jobID not in {j.jobID for j in client.get_jobs(status="failed").jobs}
    limited = client.get_jobs(limit=1)
    assert len(limited.jobs) == 1


@pytest.fixture(scope="module")
def server_with_1005_jobs() -> Iterator[tuple[str, list[str]]]:
    """A server of its own holding 1005 jobs: the server pages /jobs by 1000."""
    from procdeck.server.testing import ServerProcess

    with ServerProcess(store=":memory:") as server, Client(server.url) as submitter:
        submitted = [
            submitter.execute_process("primes_between", {"max_val": 5}).jobID for _ in range(1005)
        ]
        yield server.url, submitted


def test_get_jobs_follows_the_servers_next_links(connect, server_with_1005_jobs) -> None:
    url, submitted = server_with_1005_jobs
    client = connect(url)
    listing = client.get_jobs()
    assert [j.jobID for j in listing.jobs] == submitted
    assert not any(link.rel == "next" for link in listing.links)
    capped = client.get_jobs(limit=1002)
    assert [j.jobID for j in capped.jobs] == submitted[:1002]


# -- errors -----------------------------------------------------------------------------------


def test_not_found_errors(client, live_server: str) -> None:
    with pytest.raises(NoSuchProcessError) as info:
        client.get_process("no_such_process")
    assert info.value.status == 404 and f"{live_server}/processes/no_such_process" in str(
        info.value
    )
    with pytest.raises(NoSuchProcessError):
        client.execute_process("no_such_process", {})
    with pytest.raises(NoSuchJobError):
        client.get_job("job_999999")
    with pytest.raises(NoSuchJobError):
        client.get_job_results("job_999999")
    with pytest.raises(NoSuchJobError):
        client.dismiss_job("job_999999")


def test_invalid_inputs_are_rejected_with_details(client) -> None:
    with pytest.raises(BadRequestError) as info:
        client.execute_process("primes_between", {"max_val": 1000})
    error = info.value
    assert error.status == 400
    assert "max_val" in (error.detail or "")
    assert "max_val" in str(error)


# -- the CLI against the real server ----------------------------------------------------------


def test_cli_against_the_real_server(live_server: str) -> None:
    from procdeck.cli import app

    runner = CliRunner()
    listed = runner.invoke(app, ["processes", "--server-url", live_server])
    assert listed.exit_code == 0, listed.output
    assert "sleep_a_while" in listed.stdout and "Prime Processor" in listed.stdout

    ran = runner.invoke(
        app,
        [
            "execute",
            "primes_between",
            "-i",
            "min_val=10",
            "-i",
            "max_val=20",
            "--wait",
            "--json",
            "--server-url",
            live_server,
        ],
    )
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout) == {"return_value": [11, 13, 17, 19]}

    failed = runner.invoke(
        app,
        [
            "execute",
            "sleep_a_while",
            "-i",
            "duration=0.1",
            "-i",
            "fail=true",
            "--wait",
            "--server-url",
            live_server,
        ],
    )
    assert failed.exit_code == 5
    assert "Failed on purpose" in failed.stderr

    missing = runner.invoke(app, ["job", "job_999999", "--server-url", live_server])
    assert missing.exit_code == 3
    assert "No such job" in missing.stderr

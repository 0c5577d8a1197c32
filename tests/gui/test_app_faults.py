"""The app survives a misbehaving server: each fault is shown, and the app recovers by
itself, without a reload, with its background work (connection checks, job poller) alive.

The app is ``procdeck gui --server PROXY --timeout 3`` in a subprocess; ``PROXY`` is a
:class:`fault_proxy.FaultProxy` in front of a real ``procdeck serve``, switched into one
fault at a time (HTML 502 page, 503 problem, plain-text 500, an HTML page instead of JSON,
malformed JSON, a truncated body, a connection reset, answers slower than the timeout).
Jobs made directly on the real server (not through the app) prove that the job table
follows the server again after the fault. The server itself is also killed (SIGKILL) with
a job running and restarted on the same store and port.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from served_app import ServedApp, assert_no_app_errors

from fault_proxy import FaultProxy
from procdeck import Client
from procdeck.models import JobStatus
from procdeck.server.testing import ServerProcess, free_port

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TIMEOUT = 20_000  # ms, for expect(); the app probes every 5 s and backs off to at most 10 s
APP_TIMEOUT = 3.0  # s, the app's client timeout: a "slow" answer takes longer
APP_OPTIONS = ["--timeout", str(APP_TIMEOUT)]
NO_RELOAD = "window.__pd_same_page"


@dataclass
class Stack:
    """The real server, the fault proxy in front of it, and the app behind the proxy."""

    server: ServerProcess
    proxy: FaultProxy
    app: ServedApp
    direct: Client  # straight to the real server, past the proxy


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("app-faults")
    server = ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data",
                           log_path=root / "server.log").start()
    proxy = FaultProxy(server.url).start()
    app = ServedApp(proxy.url, root / "app.log", options=APP_OPTIONS).start()
    direct = Client(server.url)
    try:
        yield Stack(server, proxy, app, direct)
        print(f"\napp faults injected by the proxy: {sum(proxy.injected.values())} "
              f"{dict(proxy.injected)}")
    finally:
        direct.close()
        app.stop()
        proxy.stop()
        server.stop()
    assert_no_app_errors(app.log())


@pytest.fixture
def healthy(stack: Stack) -> Iterator[Stack]:
    stack.proxy.clear()
    yield stack
    stack.proxy.clear()


def connection(page: Page):
    return page.get_by_role("status", name="Connection")


def jobs_state(page: Page):
    return page.locator(".pd-jobs-state")


def open_app(page: Page, url: str) -> None:
    """Load the app, wait until it is online with a form open, and mark the page."""
    page.goto(url)
    expect(connection(page)).to_contain_text("Online", timeout=TIMEOUT)
    page.get_by_role("button", name="Prime Processor").click()
    expect(page.get_by_role("heading", name="Prime Processor")).to_be_visible(timeout=TIMEOUT)
    expect(jobs_state(page)).to_contain_text("Updated", timeout=TIMEOUT)
    page.evaluate(f"{NO_RELOAD} = true")


def finished_job(client: Client, max_val: int) -> str:
    """A job made on the real server directly (the app does not know it), run to the end."""
    job = client.execute_process("primes_between", {"max_val": max_val})
    assert client.wait_for_job(job.jobID, timeout=30).status == JobStatus.SUCCESSFUL
    return job.jobID


def job_row(page: Page, job_id: str):
    return page.locator(".tabulator-row").filter(has_text=job_id)


# kind, what the connection pill says, what the job table header says
FAULTS = [
    ("html_502", "Error 502", "502 Bad Gateway: HTML page: 502 Bad Gateway"),
    ("json_503", "Service Unavailable", "down for maintenance"),
    ("text_500", "Error 500", "500 Internal Server Error"),
    ("html_200", "Invalid response", "HTML page (Sign in to the network)"),
    ("malformed_json", "Invalid response", "malformed JSON"),
    ("truncated", "Invalid response", "truncated body"),
    ("reset", "server unreachable", "connection failed"),
    ("slow", "no answer in time", "timed out"),
]


@pytest.mark.parametrize(("kind", "pill", "header"), FAULTS, ids=[f[0] for f in FAULTS])
def test_each_fault_is_shown_then_the_app_recovers_without_reload(
        watched_page, healthy: Stack, kind: str, pill: str, header: str) -> None:
    page, watch = watched_page
    stack = healthy
    open_app(page, stack.app.url)
    execute = page.get_by_role("button", name="Execute", exact=True)
    expect(execute).to_be_enabled(timeout=TIMEOUT)

    stack.proxy.set_fault(kind, delay=3 * APP_TIMEOUT)
    # the connection pill and the job table both say what is wrong; Execute waits
    expect(connection(page)).to_contain_text(f"Offline: {pill}", timeout=TIMEOUT)
    expect(jobs_state(page)).to_contain_text("Cannot update the jobs", timeout=TIMEOUT)
    expect(jobs_state(page)).to_contain_text(header)
    expect(execute).to_be_disabled()
    expect(page.get_by_role("button", name="Retry now")).to_be_visible()
    assert "Traceback" not in page.locator("body").inner_text()
    assert stack.proxy.injected[kind] >= 2

    # the server is healthy again; a job made elsewhere meanwhile must show up
    stack.proxy.clear()
    job_id = finished_job(stack.direct, 7)
    expect(connection(page)).to_contain_text("Online", timeout=TIMEOUT)
    expect(jobs_state(page)).to_contain_text("Updated", timeout=TIMEOUT)
    expect(job_row(page, job_id)).to_contain_text("successful", timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Retry now")).to_be_hidden()
    # the app's own calls work again: execute from the form
    expect(execute).to_be_enabled(timeout=TIMEOUT)
    execute.click()
    started = page.get_by_text(re.compile(r"Started job \S+"))
    expect(started).to_be_visible(timeout=TIMEOUT)
    new_id = re.search(r"Started job (\S+)", started.inner_text()).group(1)
    expect(job_row(page, new_id)).to_contain_text("successful", timeout=TIMEOUT)
    assert page.evaluate(NO_RELOAD) is True, "the page was not reloaded"
    assert watch.errors == [], f"console errors: {watch.errors}"


@pytest.mark.parametrize(("kind", "shown"), [
    ("json_503", "Service Unavailable: The processing service is down for maintenance."),
    ("html_502", "502 Bad Gateway"),
])
def test_an_execute_refused_by_the_gateway_says_why(watched_page, healthy: Stack, kind: str,
                                                     shown: str) -> None:
    page, watch = watched_page
    stack = healthy
    open_app(page, stack.app.url)
    stack.proxy.set_fault(kind, paths=["/processes/primes_between/execution"])
    execute = page.get_by_role("button", name="Execute", exact=True)
    execute.click()
    note = page.locator(".notyf__toast").filter(has_text=shown)
    expect(note).to_be_visible(timeout=TIMEOUT)
    assert "Traceback" not in note.inner_text()
    expect(connection(page)).to_contain_text("Online")  # the server answered: not offline
    stack.proxy.clear()
    expect(execute).to_be_enabled(timeout=TIMEOUT)
    execute.click()
    expect(page.get_by_text(re.compile(r"Started job \S+"))).to_be_visible(timeout=TIMEOUT)
    assert page.evaluate(NO_RELOAD) is True
    assert watch.errors == [], f"console errors: {watch.errors}"


def test_a_job_whose_answer_was_lost_still_appears(watched_page, healthy: Stack) -> None:
    """The server started the job but its answer was cut off: the table still shows it."""
    page, _ = watched_page
    stack = healthy
    open_app(page, stack.app.url)
    known = {j.jobID for j in stack.direct.get_jobs().jobs}
    stack.proxy.set_fault("truncated", paths=["/processes/primes_between/execution"])
    page.get_by_role("button", name="Execute", exact=True).click()
    expect(page.locator(".notyf__toast").filter(has_text="truncated body")).to_be_visible(
        timeout=TIMEOUT)
    stack.proxy.clear()
    new = [j.jobID for j in stack.direct.get_jobs().jobs if j.jobID not in known]
    assert len(new) == 1, "the server did start the job"
    expect(job_row(page, new[0])).to_contain_text("successful", timeout=TIMEOUT)


@pytest.mark.parametrize(("kind", "reason"), [("html_502", "Error 502"),
                                              ("malformed_json", "Invalid response")])
def test_a_process_list_that_fails_is_said_and_loaded_when_it_works(
        watched_page, healthy: Stack, kind: str, reason: str) -> None:
    """Only the list fails (the server answers otherwise): say so, and try again."""
    page, watch = watched_page
    stack = healthy
    stack.proxy.set_fault(kind, paths=["=/processes"])
    page.goto(stack.app.url)
    page.evaluate(f"{NO_RELOAD} = true")
    processes = page.get_by_role("list", name="Processes")
    expect(processes).to_contain_text(f"Could not load the processes ({reason})",
                                      timeout=TIMEOUT)
    expect(processes).to_contain_text("Trying again")
    expect(connection(page)).to_contain_text("Online")
    time.sleep(2)  # it keeps trying while the list fails
    tries = stack.proxy.injected[kind]
    expect(processes).to_contain_text("Could not load the processes", timeout=TIMEOUT)
    assert tries >= 2
    stack.proxy.clear()
    page.get_by_role("button", name="Prime Processor").click(timeout=TIMEOUT)
    expect(page.get_by_role("heading", name="Prime Processor")).to_be_visible(timeout=TIMEOUT)
    assert page.evaluate(NO_RELOAD) is True
    assert watch.errors == [], f"console errors: {watch.errors}"


def test_slow_answers_never_freeze_the_page(watched_page, healthy: Stack) -> None:
    """Every answer takes 2 s (under the timeout): the page reacts at once meanwhile."""
    page, watch = watched_page
    stack = healthy
    open_app(page, stack.app.url)
    stack.proxy.set_fault("slow", delay=2.0)
    search = page.get_by_label("Search processes")
    for _ in range(3):  # while probes, job polls and execute calls wait for the server
        search.fill("sleep")
        expect(page.get_by_role("button", name="Prime Processor")).to_have_count(0,
                                                                                 timeout=1500)
        search.fill("")
        expect(page.get_by_role("button", name="Prime Processor")).to_have_count(1,
                                                                                 timeout=1500)
    execute = page.get_by_role("button", name="Execute", exact=True)
    execute.click()
    expect(page.get_by_role("button", name="Executing…")).to_be_visible(timeout=1500)
    expect(page.get_by_text(re.compile(r"Started job \S+"))).to_be_visible(timeout=TIMEOUT)
    expect(connection(page)).to_contain_text("Online")  # slow is not offline
    assert stack.proxy.injected["slow"] >= 3
    assert watch.errors == [], f"console errors: {watch.errors}"


def test_server_killed_with_a_job_running_then_restarted(watched_page, server_factory,
                                                          tmp_path: Path) -> None:
    """SIGKILL (no goodbye) and a restart on the same store and port, app straight on it."""
    page, watch = watched_page
    server = server_factory(store=tmp_path / "jobs.sqlite")
    app = ServedApp(server.url, tmp_path / "app.log", options=APP_OPTIONS).start()
    try:
        open_app(page, app.url)
        with Client(server.url) as client:
            running = client.execute_process("sleep_a_while", {"duration": 60}).jobID
        expect(job_row(page, running)).to_contain_text("running", timeout=TIMEOUT)

        server.kill()
        expect(connection(page)).to_contain_text("Offline: server unreachable", timeout=TIMEOUT)
        expect(jobs_state(page)).to_contain_text("Cannot update the jobs", timeout=TIMEOUT)
        expect(page.get_by_role("alert").filter(has_text="unreachable")).to_be_visible()

        server.start()
        expect(connection(page)).to_contain_text("Online", timeout=TIMEOUT)
        # the server marks the interrupted job failed; the table shows it without a reload
        expect(job_row(page, running)).to_contain_text("failed", timeout=TIMEOUT)
        execute = page.get_by_role("button", name="Execute", exact=True)
        expect(execute).to_be_enabled(timeout=TIMEOUT)
        execute.click()
        started = page.get_by_text(re.compile(r"Started job \S+"))
        expect(started).to_be_visible(timeout=TIMEOUT)
        new_id = re.search(r"Started job (\S+)", started.inner_text()).group(1)
        expect(job_row(page, new_id)).to_contain_text("successful", timeout=TIMEOUT)
        assert page.evaluate(NO_RELOAD) is True
        assert watch.errors == [], f"console errors: {watch.errors}"
    finally:
        app.stop()
    assert_no_app_errors(app.log())


def test_the_job_table_takes_a_recovered_tick_in_one_batch() -> None:
    """A good tick after a failed one changes error, connected and last_update together."""
    from datetime import UTC, datetime

    import param

    from procdeck.gui.jobs import JobPoller, JobTable

    with Client(f"http://127.0.0.1:{free_port()}") as client:
        poller = JobPoller(client)
        table = JobTable(poller)
        with param.edit_constant(poller):
            poller.param.update(error="Cannot update the jobs: refused", connected=False)
            poller.param.update(error=None, connected=True, last_update=datetime.now(UTC))
        assert "Updated" in table._header.object


def test_a_view_update_after_the_session_ended_is_dropped() -> None:
    """A late callback (a toast hiding itself 20 s later) must not touch a destroyed document."""
    import weakref

    import panel as pn
    from bokeh.document import Document

    from procdeck.gui.jobs.session import document_dispatcher

    class Context:  # stands in for the Bokeh server's session context
        pass

    context, doc = Context(), Document()
    doc._session_context = weakref.ref(context)
    ran: list[str] = []
    with pn.io.server.set_curdoc(doc):
        dispatch = document_dispatcher()
    seen: list[object] = []
    doc.on_change(seen.append)  # the server session listens to the document like this
    dispatch(lambda: ran.append("before"))
    assert seen, "the callback was handed to the document"
    doc.destroy(seen.append)  # what Bokeh does when the session ends
    dispatch(lambda: ran.append("after"))  # raised AttributeError before the fix
    assert ran == []  # next-tick callbacks only run on a live server loop

"""The app where notebooks really run: JupyterLab and Notebook 7 in headless Chromium, offline.

Each module-scoped frontend serves notebooks against the real procdeck server (with
its access log on). Every page refuses requests that leave localhost; what a
page asked for outside and what it logged as an error are compared with the same
frontend's baseline notebook (one ``print``), so anything the frontend does by
itself is not counted against procdeck, and everything procdeck adds must be 0.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_frontend import (
    JupyterFrontend,
    NotebookPage,
    bokeh_sets,
    watched_page,
    write_notebook,
)
from playwright.sync_api import expect

from procdeck import Client
from procdeck.server.testing import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TIMEOUT = 60_000
ROOT_DIR = Path(__file__).resolve().parents[2]

APP = ["from procdeck import Client\nclient = Client()\napp = client.show()\napp"]
FORM = [
    "from procdeck import Client\nclient = Client()\n"
    "form = client.show_form('primes_between')\nform",
    "print('VALUE', form.value)",
    "form.value = {'min_val': 5, 'max_val': 7}",
]
# the ipywidget way VS Code and Colab draw Panel (jupyter_bokeh), named by the one documented
# line because the kernel cannot tell those frontends apart here
WIDGET = ["import procdeck.gui\nprocdeck.gui.notebook_mode('ipywidgets')",
          "from procdeck import Client\nclient = Client()\napp = client.show()\napp",
          "from procdeck.gui.frontend import uses_ipywidget\nprint('IPYWIDGET', uses_ipywidget())"]
JOBS = ["from procdeck import Client\nclient = Client()\ntable = client.show_jobs()\ntable"]


# What does not depend on the frontend's page (kernel-side behaviour, Panel's own views,
# the ipywidget path) runs in JupyterLab only: Notebook 7 draws notebooks with the same
# JupyterLab components, and every test that does depend on the page runs in both.
LAB_ONLY = pytest.mark.parametrize("setup", ["lab"], indirect=True)


def _started_server(tmp: Path) -> ServerProcess:
    process = ServerProcess(store=tmp / "jobs.sqlite", data_dir=tmp / "data",
                            log_path=tmp / "server.log", extra_args=["--access-log"])
    process.start()
    return process


# A kernel start-up file for the Voila test: every widget comm opened or closed is written
# to a trace file, so a page that says "model not found" tells whether the app's widget was
# closed (and from where) or never opened.
WIDGET_TRACE = """
import os, time, traceback
import ipywidgets

_trace = os.environ["PROCDECK_TEST_WIDGET_TRACE"]
_open, _close = ipywidgets.Widget.open, ipywidgets.Widget.close

def _note(kind, widget, stack=False):
    line = f"{time.time():.3f} pid {os.getpid()} {kind} {widget.model_id} {type(widget).__name__}"
    if stack:
        line += " from " + " < ".join(
            f"{f.name}@{os.path.basename(f.filename)}:{f.lineno}"
            for f in traceback.extract_stack()[-8:-2][::-1])
    with open(_trace, "a") as file:
        file.write(line + "\\n")

def _traced_open(self):
    _open(self)
    _note("open", self)

def _traced_close(self):
    if self.comm is not None:
        _note("close", self, stack=True)
    _close(self)

ipywidgets.Widget.open, ipywidgets.Widget.close = _traced_open, _traced_close
"""


def _frontend(kind: str, server: ServerProcess, tmp: Path) -> Iterator[JupyterFrontend]:
    root = tmp / "notebooks"
    root.mkdir()
    write_notebook(root / "baseline.ipynb", ["print('baseline')"])
    write_notebook(root / "app.ipynb", APP)
    write_notebook(root / "app2.ipynb", APP)
    write_notebook(root / "form.ipynb", FORM)
    write_notebook(root / "jobs.ipynb", JOBS)
    write_notebook(root / "widget.ipynb", WIDGET)
    (root / "gui.ipynb").write_bytes((ROOT_DIR / "notebooks" / "gui.ipynb").read_bytes())
    env = {"PROCDECK_SERVER_URL": server.url}
    if kind == "voila":
        startup = tmp / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-widget-trace.py").write_text(WIDGET_TRACE)
        env |= {"IPYTHONDIR": str(tmp / "ipython"),
                "PROCDECK_TEST_WIDGET_TRACE": str(tmp / "widget-trace.log")}
    frontend = JupyterFrontend(kind, root, tmp / "home", env=env).start()
    try:
        yield frontend
    finally:
        frontend.stop()


@pytest.fixture(scope="module", params=["lab", "notebook"])
def setup(request, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[JupyterFrontend, ServerProcess]]:
    """Each frontend with its own procdeck server (its jobs and access log its own)."""
    tmp = tmp_path_factory.mktemp(request.param)
    server = _started_server(tmp)
    try:
        for frontend in _frontend(request.param, server, tmp):
            yield frontend, server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def frontend(setup: tuple[JupyterFrontend, ServerProcess]) -> JupyterFrontend:
    return setup[0]


@pytest.fixture(scope="module")
def server(setup: tuple[JupyterFrontend, ServerProcess]) -> ServerProcess:
    return setup[1]


@pytest.fixture(scope="module")
def baseline(browser, frontend: JupyterFrontend) -> dict[str, set[str]]:
    """What the frontend alone asks outside and logs as errors, for a trivial notebook."""
    context, page, watch = watched_page(browser)
    try:
        notebook = NotebookPage(page, frontend).open("baseline.ipynb")
        notebook.run_all()
        page.wait_for_timeout(2000)
        return {"outside": set(watch.outside), "errors": {_shape(e) for e in watch.errors}}
    finally:
        context.close()


def _shape(error: str) -> str:
    # ids, ports and counters differ between pages; the kind of error does not
    return re.sub(r"\d+", "N", error.split("\n", 1)[0])


@pytest.fixture
def notebook(request, browser, frontend: JupyterFrontend,
             baseline: dict[str, set[str]]) -> Iterator[NotebookPage]:
    """A fresh page in the frontend; on teardown nothing beyond the baseline went out or failed."""
    context, page, watch = watched_page(browser)
    notebook = NotebookPage(page, frontend)
    try:
        yield notebook
        loads = bokeh_sets(page)
        page.screenshot(path=str(frontend.log_path.with_name(f"{request.node.name}.png")))
        # shut the kernel down with the page: a left-over app would keep polling
        _shutdown_kernels(notebook)
    finally:
        context.close()
    outside = [u for u in watch.outside if u not in baseline["outside"]]
    errors = [e for e in watch.errors if _shape(e) not in baseline["errors"]]
    assert outside == [], f"requests left localhost: {outside}"
    assert errors == [], f"console errors: {errors}; window.Bokeh set at: {loads}"


def _shutdown_kernels(notebook: NotebookPage) -> None:
    base = notebook.frontend.url
    api = notebook.page.request
    for kernel in api.get(f"{base}/api/kernels").json():
        assert api.delete(f"{base}/api/kernels/{kernel['id']}").ok


def jobs_requests(server: ServerProcess) -> int:
    """How many job-list walks (``GET /jobs?...``) the server's access log holds so far."""
    return len(re.findall(r'"GET /jobs(\?[^ ]*)? HTTP', server.log()))


def walks_in(page, server: ServerProcess, milliseconds: int) -> int:
    """Job-list walks the server logs while the page waits ``milliseconds``."""
    before = jobs_requests(server)
    page.wait_for_timeout(milliseconds)
    return jobs_requests(server) - before


def execute_and_open_results(page) -> str:
    """Click Execute, find the started job's one row in the job table, open its results."""
    page.get_by_role("button", name="Execute", exact=True).click()
    started = page.get_by_text(re.compile(r"Started job \S+"))
    expect(started).to_be_visible(timeout=TIMEOUT)
    job_id = started.locator("code").inner_text()
    row = page.locator(".tabulator-row", has=page.locator(
        '.tabulator-cell[tabulator-field="job"]', has_text=re.compile(rf"^\s*{job_id}\s*$")))
    expect(row).to_have_count(1, timeout=TIMEOUT)
    results = row.get_by_role("button", name="Results", exact=True)
    expect(results).to_be_visible(timeout=TIMEOUT)
    results.click()
    expect(page.get_by_text(f"Results of {job_id}")).to_be_visible(timeout=TIMEOUT)
    return job_id


def test_the_app_draws_runs_a_job_and_shows_its_results(
        notebook: NotebookPage, server: ServerProcess) -> None:
    notebook.open("app.ipynb").run_all()
    page = notebook.page
    expect(page.get_by_text("Online", exact=False)).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="Prime Processor").click()
    expect(page.get_by_role("heading", name="Prime Processor")).to_be_visible(timeout=TIMEOUT)
    max_val = page.get_by_label("Max Val", exact=True).first
    expect(max_val).to_be_editable(timeout=TIMEOUT)
    job_id = execute_and_open_results(page)
    with Client(server.url) as client:
        assert client.get_job(job_id).status == "successful"
    page.screenshot(path=str(notebook.frontend.log_path.with_suffix(".app.png")))


# What Panel's Tabulator view does when the table is built again (a change of its
# configuration from the kernel) while the browser's own change of ``sorters`` (made on
# every page request) still waits in the notebook comm's queue; returns what the comm
# would then fail to send, or "" when the change still serialises (and so did the sort
# objects of the first build).
REBUILD_WITH_SORTERS_WAITING = """async () => {
  const bokeh = window.Bokeh, queue = [...bokeh.index.roots], seen = new Set();
  let table = null;
  while (queue.length > 0 && table === null) {
    const view = queue.shift();
    if (seen.has(view)) { continue; }
    seen.add(view);
    if (view.model.type === "panel.models.tabulator.DataTabulator") { table = view; }
    queue.push(...view.children());
  }
  if (table === null) { return "no table view"; }
  const {Serializer} = bokeh.require("core/serialization");
  try { new Serializer().encode(table.model.sorters); }
  catch (error) { return "after the first build: " + error; }
  table.model.sorters = [{field: "created", dir: "desc"}];
  const waiting = table.model.sorters;
  table.invalidate_render();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  try { new Serializer().encode(waiting); return ""; }
  catch (error) { return String(error); }
}"""


@LAB_ONLY
def test_the_job_table_rebuilt_with_a_sort_waiting_keeps_the_comm_working(
        notebook: NotebookPage) -> None:
    notebook.open("app.ipynb").run_all()
    page = notebook.page
    expect(page.get_by_text("Online", exact=False)).to_be_visible(timeout=TIMEOUT)
    assert page.evaluate(REBUILD_WITH_SORTERS_WAITING) == ""
    # and the comm still carries clicks (a change it cannot serialise blocks every later one)
    page.get_by_role("button", name="Prime Processor").click()
    expect(page.get_by_role("heading", name="Prime Processor")).to_be_visible(timeout=TIMEOUT)


@LAB_ONLY
def test_the_ipywidget_way_of_vscode_and_colab_draws_runs_and_shows_results(
        notebook: NotebookPage) -> None:
    notebook.open("widget.ipynb").run_all()
    page = notebook.page
    # drawn by jupyter_bokeh's widget, not by Panel's own notebook output
    assert "IPYWIDGET True" in notebook.output_text(2)
    expect(page.get_by_text("Online", exact=False)).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="Prime Processor").click()
    expect(page.get_by_label("Max Val", exact=True).first).to_be_editable(timeout=TIMEOUT)
    execute_and_open_results(page)


def test_a_form_round_trips_between_browser_and_python(notebook: NotebookPage) -> None:
    notebook.open("form.ipynb").run_all()
    page = notebook.page
    max_val = page.get_by_label("Max Val", exact=True).first
    expect(max_val).to_be_editable(timeout=TIMEOUT)
    max_val.fill("33")
    max_val.press("Tab")
    page.wait_for_timeout(500)
    notebook.run_cell(1)
    assert "'max_val': 33" in notebook.output_text(1)
    notebook.run_cell(2)
    expect(max_val).to_have_value("7", timeout=TIMEOUT)
    expect(page.get_by_label("Min Val", exact=True).first).to_have_value("5")


def test_rerunning_three_times_leaves_one_poller_and_a_restart_works(
        notebook: NotebookPage, server: ServerProcess) -> None:
    with Client(server.url) as client:
        # a running job keeps every live poller at its fast pace (0.5 s)
        client.execute_process("sleep_a_while", {"duration": 40})
    notebook.open("jobs.ipynb").run_all()
    page = notebook.page
    expect(page.get_by_text("Jobs", exact=True).first).to_be_visible(timeout=TIMEOUT)
    one = walks_in(page, server, 4000)  # one live table, the yardstick of this run
    for _ in range(2):
        notebook.run_cell(0)
    page.wait_for_timeout(1000)
    three = walks_in(page, server, 4000)
    print(f"job-list walks in 4 s: one run of the cell {one}, three runs {three}")
    # three live tables would walk the list three times as often
    assert one >= 3 and three <= one * 1.5 + 1, (one, three)

    notebook.focus()
    notebook.menu("Kernel", "Restart Kernel and Run All Cells…")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    # the new kernel numbers its first execution 1 again
    expect(notebook.cells().first.locator(".jp-InputPrompt")).to_have_text(
        re.compile(r"\[1\]"), timeout=TIMEOUT)
    notebook.wait_executed()
    expect(page.locator('.tabulator-cell[tabulator-field="job"]').first).to_be_visible(
        timeout=TIMEOUT)


def _set_hidden(page, hidden: bool) -> None:
    """Make the page report its tab hidden (or shown) as a browser does when tabs switch."""
    page.evaluate("""(hidden) => {
        Object.defineProperty(document, "visibilityState",
                              {value: hidden ? "hidden" : "visible", configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }""", hidden)


def test_closing_or_hiding_the_page_pauses_polling_clearing_the_output_stops_it(
        notebook: NotebookPage, server: ServerProcess, browser) -> None:
    # a running job keeps a live poller at its fast pace (0.5 s): long enough for a slow
    # machine (40 s ran out once before the last check), dismissed at the end
    with Client(server.url) as client:
        runner = client.execute_process("sleep_a_while", {"duration": 300})
    try:
        _pause_resume_and_clear(notebook, server, browser)
    finally:
        with Client(server.url) as client:
            client.dismiss_job(runner.jobID)


def _pause_resume_and_clear(notebook: NotebookPage, server: ServerProcess, browser) -> None:
    # a page that runs the table and is closed: the kernel lives on, the page no longer
    # says it looks, polling pauses
    context, first_page, _ = watched_page(browser)
    try:
        first = NotebookPage(first_page, notebook.frontend).open("jobs.ipynb")
        first.run_all()
        expect(first_page.locator('.tabulator-cell[tabulator-field="job"]').first
               ).to_be_visible(timeout=TIMEOUT)
        assert walks_in(first_page, server, 3000) >= 3
    finally:
        context.close()
    time.sleep(2.5)
    before = jobs_requests(server)
    time.sleep(3)
    assert jobs_requests(server) == before, "polling went on after its page was closed"

    # the notebook opened again on the same kernel and run: a live table again
    notebook.open("jobs.ipynb").run_all()
    page = notebook.page
    first_job = page.locator('.tabulator-cell[tabulator-field="job"]').first
    expect(first_job).to_be_visible(timeout=TIMEOUT)
    assert walks_in(page, server, 3000) >= 3

    _set_hidden(page, True)
    expect(page.get_by_text("Paused while the page is hidden")).to_be_visible(timeout=5000)
    page.wait_for_timeout(600)  # a walk already under way ends
    assert walks_in(page, server, 3000) == 0
    _set_hidden(page, False)
    page.wait_for_timeout(1000)
    assert walks_in(page, server, 3000) >= 3

    notebook.focus()
    notebook.menu("Edit", "Clear Outputs of All Cells")
    expect(first_job).to_have_count(0)
    page.wait_for_timeout(1200)
    assert walks_in(page, server, 3000) == 0, "polling went on after the output was cleared"


@LAB_ONLY
def test_gui_notebook_runs_top_to_bottom(notebook: NotebookPage) -> None:
    notebook.open("gui.ipynb").run_all(timeout=240_000)
    page = notebook.page
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0 or "Traceback" not in " ".join(errors.all_inner_texts())
    expect(page.get_by_text("Online", exact=False).first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Results of job_", exact=False).first).to_be_visible(timeout=TIMEOUT)


@LAB_ONLY
def test_two_notebooks_on_one_server_do_not_interfere(
        notebook: NotebookPage, browser) -> None:
    notebook.open("app.ipynb").run_all()
    context, page2, _ = watched_page(browser)
    try:
        other = NotebookPage(page2, notebook.frontend).open("app2.ipynb")
        other.run_all()
        for page in (notebook.page, page2):
            expect(page.get_by_text("Online", exact=False)).to_be_visible(timeout=TIMEOUT)
        page2.get_by_role("button", name="Sleep Processor").click()
        expect(page2.get_by_role("heading", name="Sleep Processor")).to_be_visible(
            timeout=TIMEOUT)
        notebook.page.get_by_role("button", name="Prime Processor").click()
        expect(notebook.page.get_by_role("heading", name="Prime Processor")).to_be_visible(
            timeout=TIMEOUT)
        # each notebook kept its own selection
        expect(page2.get_by_role("heading", name="Sleep Processor")).to_be_visible()
        time.sleep(0.5)
        _shutdown_kernels(other)
    finally:
        context.close()


# -- Voilà: the notebook rendered as a page, Panel drawn through jupyter_bokeh's ipywidget ---


@pytest.fixture(scope="module")
def voila(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterFrontend]:
    tmp = tmp_path_factory.mktemp("voila")
    server = _started_server(tmp)
    try:
        yield from _frontend("voila", server, tmp)
    finally:
        server.stop()


def _voila_page(browser, voila: JupyterFrontend, name: str):
    context, page, watch = watched_page(browser)
    page.goto(voila.notebook_url(name), timeout=TIMEOUT * 2)
    page.wait_for_load_state("networkidle", timeout=TIMEOUT * 2)
    return context, page, watch


def test_voila_draws_the_app_offline_and_it_works(browser, voila: JupyterFrontend) -> None:
    context, page, watch = _voila_page(browser, voila, "baseline.ipynb")
    expect(page.get_by_text("baseline")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_timeout(1000)
    base_outside, base_errors = set(watch.outside), {_shape(e) for e in watch.errors}
    context.close()

    context, page, watch = _voila_page(browser, voila, "app.ipynb")
    try:
        try:
            expect(page.get_by_text("Online", exact=False)).to_be_visible(timeout=TIMEOUT)
        except AssertionError as error:
            page.screenshot(path=str(voila.log_path.with_suffix(".failed.png")))
            console = "\n".join(watch.console[-60:])
            trace = Path(voila.env["PROCDECK_TEST_WIDGET_TRACE"])
            widgets = trace.read_text()[-3000:] if trace.exists() else "(no trace written)"
            raise AssertionError(f"{error}\npage console:\n{console}\n"
                                 f"voila log:\n{voila.log()[-4000:]}\n"
                                 f"widget comms opened/closed in the kernels:\n{widgets}"
                                 ) from None
        page.get_by_role("button", name="Prime Processor").click()
        max_val = page.get_by_label("Max Val", exact=True).first
        expect(max_val).to_be_editable(timeout=TIMEOUT)
        max_val.fill("30")
        max_val.press("Tab")
        execute_and_open_results(page)
        assert page.get_by_text("There was an error when executing cell").count() == 0
        page.screenshot(path=str(voila.log_path.with_suffix(".app.png")))
    finally:
        context.close()
    outside = [u for u in watch.outside if u not in base_outside]
    errors = [e for e in watch.errors if _shape(e) not in base_errors]
    assert outside == [], f"requests left localhost: {outside}"
    assert errors == [], f"console errors: {errors}"


@LAB_ONLY
def test_a_page_opened_anew_on_a_running_kernel_draws_the_app(
        notebook: NotebookPage, browser) -> None:
    context, page, watch = watched_page(browser)
    try:
        first = NotebookPage(page, notebook.frontend).open("app2.ipynb")
        first.run_all()
        expect(page.get_by_text("Online", exact=False)).to_be_visible(timeout=TIMEOUT)
    finally:
        context.close()  # the kernel goes on running, as after closing a browser tab
    # the same notebook opened again: same kernel, a page without the scripts
    notebook.open("app2.ipynb").run_all()
    expect(notebook.page.get_by_text("Online", exact=False)).to_be_visible(timeout=TIMEOUT)
    notebook.page.get_by_role("button", name="Prime Processor").click()
    expect(notebook.page.get_by_label("Max Val", exact=True).first).to_be_editable(
        timeout=TIMEOUT)
    assert watch.outside == []

"""A hostile server cannot run script or inject elements in the app, and a big one cannot
freeze it.

``procdeck serve --processes hostile_processes`` serves a process whose every text (title,
version, description, keywords, links, input titles, help, defaults, enum and ``oneOf``
labels, nested titles, output titles, job message, error, traceback, results) carries HTML
and script; ``procdeck gui`` serves the app against it and real Chromium drives it through
selection, the form, save, execute, results and the error of a failed job. Every payload
would set ``window.__pwned`` or make an element with ``pwn`` in its ``src``: neither may
happen, no dialog may open, and each text must be on the page literally.

``huge_processes`` (500 processes, one with 240 inputs with 2 kB descriptions) and a server
holding thousands of jobs check that the page keeps answering: a heartbeat timer in the page
records the longest stall of the browser's main thread, and clicks get their answer within
bounds generous enough for a loaded 2-core machine but far below a frozen page.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import hostile_processes as hostile
import pytest
from playwright.sync_api import Page, expect
from served_app import ServedApp, assert_no_app_errors

from procdeck import Client
from procdeck.models import JobStatus
from procdeck.server.testing import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

HERE = Path(__file__).resolve().parent
TIMEOUT = 20_000
STALL_LIMIT_MS = 8_000  # the longest the page's main thread may be busy in one go
CLICK_LIMIT_MS = 8_000  # from a click to its visible answer, on a loaded machine

# Every element or attribute a payload could have smuggled in, searched in the document
# and in every (open) shadow root, where Panel renders its components.
SCAN_JS = """
() => {
  const found = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      for (const attr of el.attributes) {
        const value = (attr.value || '').toLowerCase().replace(/\\s/g, '');
        if (attr.name.startsWith('on') && value.includes('__pwned')) {
          found.push(`${el.tagName} ${attr.name}`);
        }
        if (['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc'].includes(attr.name)
            && (value.startsWith('javascript:') || value.startsWith('vbscript:')
                || value.startsWith('data:text/html') || value.includes('pwn'))) {
          found.push(`${el.tagName} ${attr.name}=${attr.value}`);
        }
      }
      if (el.tagName === 'SCRIPT' && el.textContent.includes('__pwned')) found.push('SCRIPT');
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(document);
  return found;
}
"""

HEARTBEAT_JS = """
() => {
  window.__pd_max_gap = 0;
  let last = performance.now();
  window.__pd_heartbeat = setInterval(() => {
    const now = performance.now();
    window.__pd_max_gap = Math.max(window.__pd_max_gap, now - last);
    last = now;
  }, 50);
}
"""


def start_heartbeat(page: Page) -> None:
    page.evaluate(HEARTBEAT_JS)


def longest_stall_ms(page: Page) -> float:
    return float(page.evaluate("window.__pd_max_gap"))


def assert_clean(page: Page, watch, dialogs: list[str]) -> None:
    """Nothing ran, nothing was injected, nothing was fetched from elsewhere."""
    assert page.evaluate("window.__pwned") is None, page.evaluate("window.__pwned")
    assert page.evaluate(SCAN_JS) == []
    assert dialogs == []
    assert watch.outside == [], f"requests left localhost: {watch.outside}"
    assert watch.errors == [], f"console errors: {watch.errors}; failed: {watch.failed}"


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    root = tmp_path_factory.mktemp("hostile")
    with ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data",
                       processes=["hostile_processes"], env={"PYTHONPATH": str(HERE)},
                       log_path=root / "server.log") as server:
        app = ServedApp(server.url, root / "app.log").start()
        try:
            yield app
        finally:
            app.stop()
        assert_no_app_errors(app.log())


@pytest.fixture
def guarded_page(watched_page) -> Iterator[tuple[Page, object, list[str]]]:
    """A watched page that records (and dismisses) every dialog a script might open."""
    page, watch = watched_page
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page, watch, dialogs


def open_hostile(page: Page, url: str) -> None:
    page.goto(url)
    entry = page.locator("button[data-process-id='hostile_echo']")
    expect(entry.locator(".pd-ptitle")).to_have_text(hostile.TITLE, timeout=TIMEOUT)
    entry.click()
    expect(page.get_by_role("heading", name=hostile.TITLE)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Execute", exact=True)).to_be_enabled(
        timeout=TIMEOUT)


def test_the_process_and_its_form_show_every_payload_as_text(
        guarded_page, hostile_app: ServedApp, tmp_path: Path) -> None:
    page, watch, dialogs = guarded_page
    open_hostile(page, hostile_app.url)

    detail = page.locator(".pd-detail")
    expect(detail.locator("code").first).to_have_text("hostile_echo")
    expect(detail).to_contain_text(hostile.VERSION)
    description = detail.locator(".pd-md")
    expect(description.locator("strong")).to_have_text("bold")  # Markdown still works
    for line in hostile.DESCRIPTION_LINES[1:5]:  # raw HTML: shown as written
        expect(description).to_contain_text(line)
    # of all the links in the description only the https one is a link
    links = description.locator("a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://example.org/docs")
    for keyword in hostile.KEYWORDS:
        expect(detail.get_by_text(keyword, exact=True)).to_be_visible()
    process_links = page.get_by_role("navigation", name="Process links").locator("a")
    expect(process_links).to_have_count(1)  # the javascript: link is dropped
    expect(process_links).to_have_text("<i>about</i> link ↗")

    page.get_by_text("Inputs (7)").click()
    page.get_by_text("Outputs (5)").click()
    io_tables = page.locator(".pd-io")
    expect(io_tables).to_contain_text(hostile.INPUT_TITLE)
    expect(io_tables).to_contain_text(hostile.OUTPUT_TITLE)

    # the form: labels, help, default, enum and oneOf labels as text
    note = page.get_by_label(hostile.INPUT_TITLE)
    expect(note).to_have_value(hostile.DEFAULT)
    helps = page.locator(".pd-help").evaluate_all("marks => marks.map(m => m.title)")
    assert hostile.HELP in helps  # the help tooltip is the text itself
    flavour = page.get_by_label("Flavour")
    options = flavour.locator("option").all_inner_texts()
    assert [o.strip() for o in options] == ["(not set)", *hostile.SELECT_OPTIONS]
    for label in [*hostile.RADIO_OPTIONS, *hostile.ONEOF_TITLES]:
        expect(page.get_by_text(label, exact=True)).to_be_visible()
    page.get_by_role("button", name="Options").click()
    expect(page.get_by_text(hostile.NESTED_TITLE, exact=True)).to_be_visible(timeout=TIMEOUT)

    # hovering where an onmouseover could have been injected
    for keyword in hostile.KEYWORDS:
        detail.get_by_text(keyword, exact=True).hover()
    page.locator(".pd-help").first.hover()

    # the request preview and the saved request keep the values exactly
    preview = json.loads(page.get_by_label("Request JSON").inner_text())
    assert preview["inputs"]["note"] == hostile.DEFAULT
    note.fill(hostile.DEFAULT + " & <b>more</b>")
    note.press("Tab")
    expect(page.get_by_label("Request JSON")).to_contain_text("& <b>more</b>", timeout=TIMEOUT)
    assert "&amp;" not in page.get_by_label("Request JSON").inner_text()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Save request").click()
    saved = json.loads(Path(download_info.value.path()).read_text())
    assert saved["inputs"]["note"] == hostile.DEFAULT + " & <b>more</b>"
    assert saved["inputs"]["flavour"] == "plain"
    assert_clean(page, watch, dialogs)


def job_row(page: Page, job_id: str):
    return page.locator(".tabulator-row").filter(has_text=job_id)


def execute(page: Page, previous: str | None = None) -> str:
    """Click Execute and return the id of the job it started (not ``previous``)."""
    page.get_by_role("button", name="Execute", exact=True).click()
    other = f"(?!{re.escape(previous)} )" if previous else ""
    started = page.get_by_text(re.compile(rf"Started job {other}\S+"))
    expect(started).to_be_visible(timeout=TIMEOUT)
    return re.search(r"Started job (\S+)", started.inner_text()).group(1)


def test_job_messages_results_and_errors_show_as_text(guarded_page,
                                                      hostile_app: ServedApp) -> None:
    page, watch, dialogs = guarded_page
    open_hostile(page, hostile_app.url)
    page.get_by_label("Pause").fill("4")
    page.get_by_label("Pause").press("Tab")
    job_id = execute(page)
    row = job_row(page, job_id)
    message = row.locator('.tabulator-cell[tabulator-field="message"]')
    expect(message).to_have_text(hostile.JOB_MESSAGE, timeout=TIMEOUT)  # while it runs
    expect(row).to_contain_text("successful", timeout=TIMEOUT)
    expect(row.locator('.tabulator-cell[tabulator-field="process"]')).to_contain_text(
        hostile.TITLE)

    row.get_by_role("button", name="Results").click()
    expect(page.get_by_text(f"Results of {job_id}")).to_be_visible(timeout=TIMEOUT)
    result = page.locator(".pd-result-text pre, pre.pdr-text").first
    expect(result).to_have_text(hostile.RESULT_TEXT, timeout=TIMEOUT)
    expect(page.get_by_text(hostile.RESULT_KEY).first).to_be_visible()
    expect(page.get_by_text(hostile.RESULT_LINK["href"]).first).to_be_visible()
    expect(page.get_by_text(hostile.RESULT_IMAGE["href"]).first).to_be_visible()
    records = page.locator(".pd-result-table")
    expect(records.locator(".tabulator-col-title").filter(has_text=hostile.RESULT_KEY)
           ).to_have_count(1)
    expect(records.get_by_text(hostile.RESULT_RECORDS[1][hostile.RESULT_KEY])).to_be_visible()

    # a failed run: its message, the RFC 7807 detail and the traceback, all as text
    page.get_by_label("Pause").fill("0")
    page.get_by_label("Fail").check()
    failed_id = execute(page, previous=job_id)
    failed_row = job_row(page, failed_id)
    expect(failed_row).to_contain_text("failed", timeout=TIMEOUT)
    expect(failed_row.locator('.tabulator-cell[tabulator-field="message"]')).to_have_text(
        f"RuntimeError: {hostile.ERROR_MESSAGE}")
    failed_row.get_by_role("button", name="Error").click()
    details = page.get_by_text("Traceback (most recent call last)").first
    expect(details).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(hostile.ERROR_MESSAGE).first).to_be_visible()
    assert_clean(page, watch, dialogs)


# -- a lot to show -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def huge_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    root = tmp_path_factory.mktemp("huge")
    server = ServerProcess(store=":memory:", processes=["huge_processes"],
                           env={"PYTHONPATH": str(HERE)}, log_path=root / "server.log")
    with server, ServedApp(server.url, root / "app.log") as app:
        yield app


def test_500_processes_and_a_240_input_form_keep_the_page_responsive(
        watched_page, huge_app: ServedApp) -> None:
    page, watch = watched_page
    page.goto(huge_app.url)
    start_heartbeat(page)
    entries = page.get_by_role("list", name="Processes").get_by_role("button")
    expect(entries).to_have_count(501, timeout=TIMEOUT)

    search = page.get_by_label("Search processes")
    started = time.monotonic()
    search.fill("bulk 0499")
    expect(entries).to_have_count(1, timeout=CLICK_LIMIT_MS)
    search.fill("wide")
    expect(entries).to_have_count(1, timeout=CLICK_LIMIT_MS)
    search_ms = (time.monotonic() - started) * 1000

    started = time.monotonic()
    page.get_by_role("button", name="Wide form").click()
    expect(page.get_by_label("Input 239")).to_be_visible(timeout=TIMEOUT)
    form_ms = (time.monotonic() - started) * 1000

    # another click gets its answer while the big form is on the page
    search.fill("bulk 0007")
    started = time.monotonic()
    page.get_by_role("button", name="Bulk 0007").click()
    expect(page.get_by_role("heading", name="Bulk 0007")).to_be_visible(timeout=CLICK_LIMIT_MS)
    click_ms = (time.monotonic() - started) * 1000
    search.fill("wide")
    page.get_by_role("button", name="Wide form").click()
    expect(page.get_by_label("Input 000")).to_be_visible(timeout=CLICK_LIMIT_MS)

    stall = longest_stall_ms(page)
    print(f"huge: search {search_ms:.0f} ms, 240-input form {form_ms:.0f} ms, "
          f"click {click_ms:.0f} ms, longest stall {stall:.0f} ms")
    assert stall < STALL_LIMIT_MS, f"the page froze for {stall:.0f} ms"
    assert watch.errors == [], f"console errors: {watch.errors}; failed: {watch.failed}"


JOBS = 3000


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("busy")
    with ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data",
                       log_path=root / "server.log") as server, Client(server.url) as client:

        def submit(number: int) -> str:
            return client.execute_process("primes_between", {"max_val": number % 50}).jobID

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(submit, range(JOBS)))
        assert len(set(ids)) == JOBS
        deadline = time.monotonic() + 120
        while client.get_jobs(status=["accepted", "running"]).jobs:
            assert time.monotonic() < deadline, "the jobs did not finish"
            time.sleep(0.5)
        yield server


def test_thousands_of_jobs_keep_the_table_responsive(watched_page, busy_server: ServerProcess,
                                                     tmp_path: Path) -> None:
    page, watch = watched_page
    with ServedApp(busy_server.url, tmp_path / "app.log") as app:
        page.goto(app.url)
        start_heartbeat(page)
        header = page.locator(".pd-jobs-count")
        expect(header).to_have_text(f"{JOBS} jobs", timeout=TIMEOUT)

        started = time.monotonic()
        page.get_by_role("button", name="Next Page").click()
        expect(page.get_by_role("button", name="Show Page 2")).to_have_class(
            re.compile("active"), timeout=CLICK_LIMIT_MS)
        page_ms = (time.monotonic() - started) * 1000

        started = time.monotonic()
        search = page.get_by_placeholder("id, process, status, message")
        search.fill("job_2999")
        search.press("Enter")
        expect(page.locator(".tabulator-row")).to_have_count(1, timeout=CLICK_LIMIT_MS)
        search_ms = (time.monotonic() - started) * 1000

        # the poller still follows the server: a new job shows up
        with Client(busy_server.url) as client:
            new = client.execute_process("primes_between", {"max_val": 3})
            assert client.wait_for_job(new.jobID, timeout=30).status == JobStatus.SUCCESSFUL
        expect(header).to_have_text(f"{JOBS + 1} jobs", timeout=TIMEOUT)

        stall = longest_stall_ms(page)
        print(f"{JOBS} jobs: next page {page_ms:.0f} ms, search {search_ms:.0f} ms, "
              f"longest stall {stall:.0f} ms")
        assert stall < STALL_LIMIT_MS, f"the page froze for {stall:.0f} ms"
        assert watch.errors == [], f"console errors: {watch.errors}; failed: {watch.failed}"
    assert_no_app_errors(app.log())

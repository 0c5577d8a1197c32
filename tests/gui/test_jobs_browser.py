"""The live job table in real headless Chromium: the real app against the real server.

Jobs are started through the app's form or the client; the table is watched
the way a person would: progress bar, status badge, row buttons found by role
and accessible name. Every test also checks that no request left localhost and
the console stayed clean.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from procdeck import Client

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TIMEOUT = 20_000


@pytest.fixture
def client(live_server: str) -> Iterator[Client]:
    with Client(live_server) as client:
        yield client


@pytest.fixture
def app_page(watched_page, app_url: str) -> Iterator[Page]:
    page, watch = watched_page
    page.goto(app_url)
    expect(page.get_by_text("Jobs", exact=True)).to_be_visible(timeout=TIMEOUT)
    yield page
    assert watch.outside == [], f"requests left localhost: {watch.outside}"
    assert watch.errors == [], f"console errors: {watch.errors}"


def job_row(page: Page, job_id: str) -> Locator:
    """The job table's row of ``job_id``."""
    cell = page.locator('.tabulator-cell[tabulator-field="job"]', has_text=re.compile(
        rf"^\s*{re.escape(job_id)}\s*$"))
    return page.locator(".tabulator-row", has=cell)


def cell(row: Locator, field: str) -> Locator:
    return row.locator(f'.tabulator-cell[tabulator-field="{field}"]')


def progress_of(row: Locator) -> int | None:
    text = cell(row, "progress").inner_text().strip()
    return int(text) if text.isdigit() else None


def test_execute_watch_progress_move_and_status_turn_successful(app_page: Page) -> None:
    page = app_page
    page.get_by_role("button", name="Sleep Processor").click()
    duration = page.get_by_label("Duration")
    expect(duration).to_be_editable(timeout=TIMEOUT)
    duration.fill("4")
    duration.press("Tab")
    execute = page.get_by_role("button", name="Execute", exact=True)
    expect(execute).to_be_enabled(timeout=TIMEOUT)
    execute.click()
    started = page.get_by_text(re.compile(r"Started job \S+"))
    expect(started).to_be_visible(timeout=TIMEOUT)
    job_id = re.search(r"Started job (\S+)", started.inner_text()).group(1)

    row = job_row(page, job_id)
    expect(row).to_have_count(1, timeout=TIMEOUT)
    status = cell(row, "status")
    seen: list[int] = []
    deadline_checks = 400
    while "successful" not in status.inner_text() and deadline_checks:
        value = progress_of(row)
        if value is not None and (not seen or value != seen[-1]):
            seen.append(value)
        page.wait_for_timeout(50)
        deadline_checks -= 1
    expect(status).to_have_text("successful", timeout=TIMEOUT)
    assert len([v for v in seen if 0 < v < 100]) >= 2, f"the bar moved: {seen}"
    assert seen == sorted(seen), f"progress only grows: {seen}"
    expect(cell(row, "progress")).to_have_text("100")
    expect(row.get_by_role("button", name="Results", exact=True)).to_be_visible()


def test_dismiss_a_running_job(app_page: Page, client: Client) -> None:
    page = app_page
    job = client.execute_process("sleep_a_while", {"duration": 30})
    row = job_row(page, job.jobID)
    expect(cell(row, "status")).to_have_text("running", timeout=TIMEOUT)
    row.get_by_role("button", name="Dismiss", exact=True).click()
    expect(cell(row, "status")).to_have_text("dismissed", timeout=TIMEOUT)
    assert client.get_job(job.jobID).status == "dismissed"
    expect(row.get_by_role("button", name="Results", exact=True)).to_have_count(0)


def test_remove_a_finished_job_after_confirmation(app_page: Page, client: Client) -> None:
    page = app_page
    job = client.execute_process("primes_between", {})
    client.wait_for_job(job.jobID, timeout=30)
    row = job_row(page, job.jobID)
    expect(cell(row, "status")).to_have_text("successful", timeout=TIMEOUT)
    row.get_by_role("button", name="Dismiss", exact=True).click()
    expect(page.get_by_text(f"Remove finished job {job.jobID}")).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="Remove", exact=True).click()
    expect(row).to_have_count(0, timeout=TIMEOUT)


def test_search_filters_rows_as_you_type(app_page: Page, client: Client) -> None:
    page = app_page
    primes = client.execute_process("primes_between", {})
    sleep = client.execute_process("sleep_a_while", {"duration": 0.1})
    for job in (primes, sleep):
        client.wait_for_job(job.jobID, timeout=30)
        expect(cell(job_row(page, job.jobID), "status")).to_have_text("successful",
                                                                       timeout=TIMEOUT)
    page.get_by_label("Search", exact=True).press_sequentially("sleep_a")  # no Enter
    expect(job_row(page, primes.jobID)).to_have_count(0, timeout=TIMEOUT)
    expect(job_row(page, sleep.jobID)).to_have_count(1)


def test_open_the_results_of_primes_between(app_page: Page, client: Client) -> None:
    page = app_page
    job = client.execute_process("primes_between", {"min_val": 80, "max_val": 100})
    client.wait_for_job(job.jobID, timeout=30)
    row = job_row(page, job.jobID)
    row.get_by_role("button", name="Results", exact=True).click(timeout=TIMEOUT)
    expect(page.get_by_text(f"Results of {job.jobID}")).to_be_visible(timeout=TIMEOUT)
    values = page.locator('.tabulator-cell[tabulator-field="value"]')
    expect(values).to_have_text(["83", "89", "97"], timeout=TIMEOUT)
    expect(page.get_by_text(f'client.get_job_results("{job.jobID}")["return_value"]')
           ).to_be_visible()
    expect(page.get_by_role("button", name="Download all results (JSON)")).to_be_visible()


def test_open_the_results_of_simulate_scene(app_page: Page, client: Client) -> None:
    page = app_page
    job = client.execute_process("simulate_scene", {"var_names": "ndvi", "bbox": [0, 0, 2, 2]})
    client.wait_for_job(job.jobID, timeout=60)
    row = job_row(page, job.jobID)
    row.get_by_role("button", name="Results", exact=True).click(timeout=TIMEOUT)
    summary = page.get_by_text(re.compile(r"<xarray\.Dataset>"))
    expect(summary).to_be_visible(timeout=TIMEOUT)
    expect(summary).to_contain_text("ndvi")
    expect(summary).to_contain_text("Dimensions")
    expect(page.get_by_text("application/zarr").first).to_be_visible()


def test_open_the_error_of_a_failed_job(app_page: Page, client: Client) -> None:
    page = app_page
    job = client.execute_process("sleep_a_while", {"duration": 0.2, "fail": True})
    client.wait_for_job(job.jobID, timeout=30)
    row = job_row(page, job.jobID)
    expect(cell(row, "status")).to_have_text("failed", timeout=TIMEOUT)
    row.get_by_role("button", name="Error", exact=True).click()
    expect(page.get_by_text(f"Job {job.jobID} failed")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Server traceback")).to_be_visible(timeout=TIMEOUT)
    trace = page.locator("pre.pd-trace")
    expect(trace).to_contain_text("RuntimeError: Failed on purpose")
    expect(page.get_by_text("Job failed", exact=True)).to_be_visible()  # RFC 7807 title


def test_hidden_tab_pauses_polling(app_page: Page) -> None:
    page = app_page
    state = page.locator(".pd-jobs-state")
    expect(state).to_contain_text("Updated", timeout=TIMEOUT)
    set_visibility(page, "hidden")
    expect(state).to_have_text("Paused while the page is hidden", timeout=TIMEOUT)
    set_visibility(page, "visible")
    expect(state).to_contain_text("Updated", timeout=TIMEOUT)


def set_visibility(page: Page, state: str) -> None:
    page.evaluate(
        """state => {
            Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )

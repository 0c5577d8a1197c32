"""The app in real headless Chromium, served by ``procdeck gui`` against the real server.

Locators use roles and accessible names (what a screen reader announces), waits are
``expect(...)`` with timeouts, never sleeps.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TIMEOUT = 20_000
HERE = Path(__file__).resolve().parent


def open_process(page: Page, name: str) -> None:
    """Click a process entry and wait until its form is there."""
    page.get_by_role("button", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Execute", exact=True)).to_be_visible(
        timeout=TIMEOUT)


def request_json(page: Page) -> dict:
    """The live JSON request preview, parsed."""
    return json.loads(page.get_by_label("Request JSON").inner_text())


def test_page_loads_offline_without_console_errors(watched_page, app_url: str) -> None:
    page, watch = watched_page
    page.goto(app_url)
    expect(page.get_by_text("Online", exact=False)).to_be_visible(timeout=TIMEOUT)
    open_process(page, "Sleep Processor")
    expect(page.get_by_label("Duration")).to_be_editable(timeout=TIMEOUT)
    page.get_by_role("button", name="Generate scene for testing").click()
    expect(page.get_by_label("Variable names")).to_be_visible(timeout=TIMEOUT)
    assert watch.outside == [], f"requests left localhost: {watch.outside}"
    assert watch.errors == [], f"console errors: {watch.errors}"
    assert any("/static/" in url for url in watch.requests)  # JS/CSS from the app itself


def test_the_job_table_joins_the_page_by_itself_after_the_first_form(
        watched_page, app_url: str) -> None:
    page, watch = watched_page
    page.goto(app_url)
    # The pane's heading is there from the start; the table follows once the page is up.
    expect(page.locator(".pd-right .pd-jobs-title")).to_have_text("Jobs", timeout=TIMEOUT)
    open_process(page, "Sleep Processor")
    table = page.locator(".pd-right .tabulator")
    expect(table).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_label("Duration")).to_be_editable()  # the form is still usable
    expect(page.get_by_label("Search", exact=True)).to_be_visible()  # the table's filters
    assert watch.errors == [], f"console errors: {watch.errors}"


def test_search_pick_fill_validate_execute(watched_page, app_url: str) -> None:
    page, watch = watched_page
    page.goto(app_url)
    search = page.get_by_label("Search processes")
    expect(page.get_by_role("button", name="Sleep Processor")).to_be_visible(timeout=TIMEOUT)
    search.fill("every input")
    expect(page.get_by_role("button", name="Sleep Processor")).to_have_count(0)
    open_process(page, "Every input kind")

    execute = page.get_by_role("button", name="Execute", exact=True)
    # "title" is required and empty: Execute is blocked and says why
    expect(execute).to_be_disabled()
    expect(page.get_by_role("alert").filter(has_text="title")).to_be_visible()

    title = page.get_by_label("Title", exact=True)
    title.fill("Browser run")
    title.press("Tab")
    expect(execute).to_be_enabled(timeout=TIMEOUT)
    title.fill("")  # emptied again: blocked again, with the reason
    title.press("Tab")
    expect(page.get_by_role("alert").filter(has_text="title")).to_be_visible(timeout=TIMEOUT)
    expect(execute).to_be_disabled()
    title.fill("Browser run")
    title.press("Tab")
    preview = page.get_by_label("Request JSON")
    expect(preview).to_contain_text('"title": "Browser run"', timeout=TIMEOUT)
    count = page.get_by_label("Count", exact=True)
    count.fill("7")
    count.press("Tab")
    expect(preview).to_contain_text('"count": 7', timeout=TIMEOUT)
    expect(execute).to_be_enabled(timeout=TIMEOUT)

    page.get_by_role("radio", name="red", exact=True).check()
    expect(preview).to_contain_text('"color": "red"', timeout=TIMEOUT)
    day = page.get_by_label("Day", exact=True)
    day.fill("2025-06-30")
    day.press("Tab")
    expect(preview).to_contain_text('"day": "2025-06-30"', timeout=TIMEOUT)
    page.get_by_role("button", name="Settings").click()  # a nested object, collapsed
    settings_name = page.get_by_label("Name", exact=True).first
    settings_name.fill("nested value")
    settings_name.press("Tab")
    expect(preview).to_contain_text("nested value", timeout=TIMEOUT)
    inputs = request_json(page)["inputs"]
    assert inputs["title"] == "Browser run" and inputs["count"] == 7
    assert inputs["color"] == "red" and inputs["day"] == "2025-06-30"
    assert inputs["settings"]["name"] == "nested value"

    execute.click()
    started = page.get_by_text(re.compile(r"Started job \S+"))
    expect(started).to_be_visible(timeout=TIMEOUT)
    job_id = started.locator("code").inner_text()
    # the new job shows up in the job table on the right
    expect(page.get_by_text(job_id, exact=True).first).to_be_visible(timeout=TIMEOUT)
    assert watch.errors == [], f"console errors: {watch.errors}"


def test_save_and_load_a_request(watched_page, app_url: str, tmp_path: Path) -> None:
    page, _ = watched_page
    page.goto(app_url)
    open_process(page, "Every input kind")
    title = page.get_by_label("Title", exact=True)
    title.fill("Saved run")
    title.press("Tab")
    expect(page.get_by_label("Request JSON")).to_contain_text("Saved run", timeout=TIMEOUT)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Save request").click()
    download = download_info.value
    assert download.suggested_filename == "showcase_inputs-request.json"
    saved = json.loads(Path(download.path()).read_text())
    assert saved["inputs"]["title"] == "Saved run"
    # edit the saved file: another oneOf branch, nested values
    saved["inputs"]["source"] = {"kind": "url", "url": "https://example.org/data.csv"}
    saved["inputs"]["count"] = 9
    edited = tmp_path / "edited-request.json"
    edited.write_text(json.dumps(saved))

    page.reload()
    open_process(page, "Every input kind")
    expect(page.get_by_label("Title", exact=True)).to_have_value("", timeout=TIMEOUT)
    with page.expect_file_chooser() as chooser_info:
        page.get_by_role("button", name="Load request").click()
    chooser_info.value.set_files(str(edited))
    expect(page.get_by_label("Title", exact=True)).to_have_value("Saved run", timeout=TIMEOUT)
    expect(page.get_by_label("Count", exact=True)).to_have_value("9")
    expect(page.get_by_label("Source variant")).to_have_value(re.compile("Url", re.I))
    page.get_by_role("button", name="Source", exact=False).last.click()
    expect(page.get_by_label("URL", exact=True)).to_have_value("https://example.org/data.csv")
    loaded = request_json(page)["inputs"]
    assert loaded["source"] == {"kind": "url", "url": "https://example.org/data.csv"}
    assert loaded["title"] == "Saved run" and loaded["count"] == 9


def test_drafts_survive_switching_processes(watched_page, app_url: str) -> None:
    page, _ = watched_page
    page.goto(app_url)
    open_process(page, "Sleep Processor")
    duration = page.get_by_label("Duration")
    duration.fill("4.5")
    duration.press("Tab")
    expect(page.get_by_label("Request JSON")).to_contain_text("4.5", timeout=TIMEOUT)
    open_process(page, "Prime Processor")
    open_process(page, "Sleep Processor")
    expect(page.get_by_label("Duration")).to_have_value(re.compile(r"4\.5"))


def test_hostile_description_is_shown_as_text_and_loads_nothing(
        watched_page, server_factory, app_factory) -> None:
    page, watch = watched_page
    server = server_factory(processes=["alt_processes"], env={"PYTHONPATH": str(HERE)})
    app = app_factory(server.url)
    page.goto(app.url)
    open_process(page, "Echo")
    description = page.locator(".pd-md")
    expect(description.locator("strong")).to_have_text("text")  # Markdown still works
    expect(description).to_contain_text("<script>window.__pwned = 1</script>")  # as text
    expect(page.get_by_text("<b>bold keyword</b>")).to_be_visible()
    assert page.evaluate("window.__pwned === undefined")
    assert description.locator("script, img, [onerror]").count() == 0
    assert description.locator("a[href^='javascript']").count() == 0
    remote = description.get_by_role("link", name="remote")  # an image shown as a link
    expect(remote).to_have_attribute("href", "https://images.example.com/x.png")
    assert watch.outside == [], f"requests left localhost: {watch.outside}"
    assert watch.errors == [], f"console errors: {watch.errors}"


def test_server_down_is_shown_and_the_app_recovers(watched_page, server_factory,
                                                    app_factory) -> None:
    page, _ = watched_page
    server = server_factory()
    app = app_factory(server.url)
    page.goto(app.url)
    open_process(page, "Sleep Processor")
    status = page.get_by_role("status", name="Connection")
    expect(status).to_contain_text("Online", timeout=TIMEOUT)

    server.stop()
    expect(status).to_contain_text("Offline", timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Execute", exact=True)).to_be_disabled()
    expect(page.get_by_role("alert").filter(has_text="unreachable")).to_be_visible()

    expect(page.get_by_role("button", name="Retry now")).to_be_visible()

    server.start()  # the app retries with backoff (at most 10 s apart) and recovers
    expect(status).to_contain_text("Online", timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Retry now")).to_be_hidden()
    execute = page.get_by_role("button", name="Execute", exact=True)
    expect(execute).to_be_enabled(timeout=TIMEOUT)
    execute.click()
    expect(page.get_by_text(re.compile(r"Started job \S+"))).to_be_visible(timeout=TIMEOUT)


def test_recovers_by_itself_without_retry_click(watched_page, server_factory,
                                                app_factory) -> None:
    page, _ = watched_page
    server = server_factory()
    app = app_factory(server.url)
    server.stop()
    page.goto(app.url)
    status = page.get_by_role("status", name="Connection")
    expect(status).to_contain_text("Offline", timeout=TIMEOUT)
    server.start()
    expect(status).to_contain_text("Online", timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Sleep Processor")).to_be_visible(timeout=TIMEOUT)


def test_execute_failure_shows_rfc7807_title_and_detail(watched_page, server_factory,
                                                        app_factory, tmp_path: Path) -> None:
    page, _ = watched_page
    store = tmp_path / "jobs.sqlite"
    server = server_factory(store=store)
    app = app_factory(server.url)
    page.goto(app.url)
    open_process(page, "Sleep Processor")
    # the server is redeployed without that process while the page is open
    server.stop()
    other = server_factory(store=store, processes=["alt_processes"], port=server.port,
                           env={"PYTHONPATH": str(HERE)})
    assert other.url == server.url
    execute = page.get_by_role("button", name="Execute", exact=True)
    expect(execute).to_be_enabled(timeout=TIMEOUT)
    execute.click()
    notification = page.locator(".notyf__toast").filter(has_text="sleep_a_while")
    expect(notification).to_be_visible(timeout=TIMEOUT)
    text = notification.inner_text()
    assert "Traceback" not in text
    assert re.search(r"no such process|not found", text, re.IGNORECASE)


def test_dark_theme_toggle(watched_page, app_url: str) -> None:
    page, watch = watched_page
    page.goto(app_url)
    shell = page.locator(".pd-shell")
    expect(shell).not_to_have_class(re.compile(r"\bpd-dark\b"), timeout=TIMEOUT)
    page.get_by_role("button", name="Dark theme").click()
    expect(page).to_have_url(re.compile(r"theme=dark"), timeout=TIMEOUT)
    expect(page.locator(".pd-shell")).to_have_class(re.compile(r"\bpd-dark\b"),
                                                    timeout=TIMEOUT)
    background = page.locator(".pd-shell").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(14, 17, 22)"  # the dark palette's page colour
    page.get_by_role("button", name="Light theme").click()
    expect(page).to_have_url(re.compile(r"theme=default"), timeout=TIMEOUT)
    expect(page.locator(".pd-shell")).not_to_have_class(re.compile(r"\bpd-dark\b"),
                                                        timeout=TIMEOUT)
    assert watch.errors == []


def test_panes_stack_on_a_narrow_screen(browser, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 640, "height": 900})
    try:
        page = context.new_page()
        page.goto(app_url)
        open_process(page, "Sleep Processor")
        processes = page.get_by_role("list", name="Processes").bounding_box()
        heading = page.get_by_role("heading", name="Sleep Processor").bounding_box()
        jobs = page.get_by_text("Jobs", exact=True).first.bounding_box()
        assert processes and heading and jobs
        # one column: processes above the process, the process above the jobs
        assert processes["y"] + processes["height"] <= heading["y"] <= jobs["y"]
        assert heading["x"] < 100 and processes["width"] > 400
    finally:
        context.close()


def test_copy_json_puts_the_request_on_the_clipboard(browser, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.goto(app_url)
        open_process(page, "Prime Processor")
        page.get_by_role("button", name="Copy JSON").click()
        expect(page.get_by_role("button", name="Copied")).to_be_visible(timeout=TIMEOUT)
        copied = json.loads(page.evaluate("navigator.clipboard.readText()"))
        assert copied == request_json(page)
        assert copied["inputs"] == {"min_val": 0, "max_val": 100}
    finally:
        context.close()


def test_outputs_to_request_change_the_request(watched_page, server_factory,
                                               app_factory) -> None:
    page, watch = watched_page
    server = server_factory(processes=["alt_processes"], env={"PYTHONPATH": str(HERE)})
    app = app_factory(server.url)
    page.goto(app.url)
    open_process(page, "Two outputs")
    assert "outputs" not in request_json(page)  # nothing chosen: the server's defaults
    page.get_by_role("button", name="Outputs and execution").click()
    page.get_by_label("Label", exact=True).uncheck()
    page.get_by_label("Statistics: returned as").select_option("reference")
    preview = page.get_by_label("Request JSON")
    expect(preview).to_contain_text('"transmissionMode": "reference"', timeout=TIMEOUT)
    assert request_json(page)["outputs"] == {"stats": {"transmissionMode": "reference"}}
    page.get_by_role("button", name="Execute", exact=True).click()
    expect(page.get_by_text(re.compile(r"Started job \S+"))).to_be_visible(timeout=TIMEOUT)
    assert watch.errors == [], f"console errors: {watch.errors}"


def test_synchronous_execution_shows_the_finished_job_and_its_results(
        watched_page, app_url: str) -> None:
    page, watch = watched_page
    page.goto(app_url)
    open_process(page, "Prime Processor")  # allows sync-execute and async-execute
    page.get_by_label("Min Val", exact=True).fill("80")
    page.get_by_label("Max Val", exact=True).fill("100")
    page.get_by_label("Max Val", exact=True).press("Tab")
    page.get_by_role("button", name="Outputs and execution").click()
    page.get_by_role("button", name="Synchronous (wait)").click()
    page.get_by_role("button", name="Execute", exact=True).click()
    ran = page.get_by_text(re.compile(r"Ran job \S+ synchronously: successful"))
    expect(ran).to_be_visible(timeout=TIMEOUT)
    job_id = ran.locator("code").inner_text()
    row = page.locator(".tabulator-row").filter(has_text=job_id)
    expect(row.locator('[tabulator-field="status"]')).to_have_text("successful", timeout=TIMEOUT)
    row.get_by_role("button", name="Results", exact=True).click(timeout=TIMEOUT)
    expect(page.get_by_text(f"Results of {job_id}")).to_be_visible(timeout=TIMEOUT)
    values = page.locator('.tabulator-cell[tabulator-field="value"]')
    expect(values).to_have_text(["83", "89", "97"], timeout=TIMEOUT)
    assert watch.errors == [], f"console errors: {watch.errors}"

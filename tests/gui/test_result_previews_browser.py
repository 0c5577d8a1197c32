"""Result cards of files in real headless Chromium: the real app against the real server.

One server (the demo processes plus ``broken_file_processes``) and one ``procdeck gui``
serve the whole module. Each test picks a process, runs it through the form, opens the
job's results from the job table and checks what a person sees in the card: the CSV
table, the quicklook image, the GeoJSON plot, the Zarr summary, the download (whose bytes
must be the server's file) and, for a link to a missing file, an error in the card while
the app keeps working. Screenshots of the results go to ``/tmp/shots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from served_app import ServedApp, assert_no_app_errors

from procdeck import Client
from procdeck.server.testing import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

HERE = Path(__file__).resolve().parent
TIMEOUT = 20_000
SHOTS = Path("/tmp/shots")

# The page's text, shadow roots included (Panel renders its components in them).
DEEP_TEXT_JS = """
() => {
  const parts = [document.body.innerText];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { parts.push(el.shadowRoot.textContent); visit(el.shadowRoot); }
    }
  };
  visit(document);
  return parts.join('\\n');
}
"""


@pytest.fixture(scope="module")
def file_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("file-results")
    with ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data",
                       processes=["procdeck.demo", "broken_file_processes"],
                       env={"PYTHONPATH": str(HERE)}, log_path=root / "server.log") as server:
        yield server


@pytest.fixture(scope="module")
def file_app(file_server: ServerProcess,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    app = ServedApp(file_server.url, tmp_path_factory.mktemp("file-app") / "app.log").start()
    try:
        yield app
    finally:
        app.stop()
    assert_no_app_errors(app.log())


@pytest.fixture(scope="module")
def client(file_server: ServerProcess) -> Iterator[Client]:
    with Client(file_server.url) as client:
        yield client


@pytest.fixture
def app_page(watched_page, file_app: ServedApp) -> Iterator[Page]:
    page, watch = watched_page
    page.goto(file_app.url)
    expect(page.get_by_text("Jobs", exact=True)).to_be_visible(timeout=TIMEOUT)
    yield page
    assert watch.outside == [], f"requests left localhost: {watch.outside}"
    assert watch.errors == [], f"console errors: {watch.errors}; failed: {watch.failed}"


def run_through_form(page: Page, title: str, inputs: dict[str, str] | None = None,
                     previous: str | None = None) -> str:
    """Pick the process ``title``, fill ``inputs`` (label -> text), Execute; the id of the
    job it started (not ``previous``)."""
    page.get_by_role("button", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=TIMEOUT)
    for label, text in (inputs or {}).items():
        field = page.get_by_label(label, exact=True)
        expect(field).to_be_editable(timeout=TIMEOUT)
        field.fill(text)
        field.press("Tab")
        expect(page.get_by_label("Request JSON")).to_contain_text(text, timeout=TIMEOUT)
    execute = page.get_by_role("button", name="Execute", exact=True)
    expect(execute).to_be_enabled(timeout=TIMEOUT)
    execute.click()
    other = f"(?!{re.escape(previous)} )" if previous else ""
    started = page.get_by_text(re.compile(rf"Started job {other}\S+"))
    expect(started).to_be_visible(timeout=TIMEOUT)
    return re.search(r"Started job (\S+)", started.inner_text()).group(1)


def open_results(page: Page, job_id: str) -> Locator:
    """Wait for ``job_id`` to succeed, open its results; the results' cards."""
    job_cell = page.locator('.tabulator-cell[tabulator-field="job"]', has_text=re.compile(
        rf"^\s*{re.escape(job_id)}\s*$"))
    row = page.locator(".tabulator-row", has=job_cell)
    expect(row.locator('.tabulator-cell[tabulator-field="status"]')).to_have_text(
        "successful", timeout=TIMEOUT)
    row.get_by_role("button", name="Results", exact=True).click()
    expect(page.get_by_text(f"Results of {job_id}")).to_be_visible(timeout=TIMEOUT)
    return page.locator(".pd-result")


def card_of(cards: Locator, output: str) -> Locator:
    """The card of ``output`` (its header names the output id)."""
    return cards.filter(has=cards.page.locator(".pdr-key", has_text=re.compile(
        rf"^{re.escape(output)}$")))


def screenshot(page: Page, card: Locator, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / name))


def test_a_csv_link_shows_a_table_and_downloads_the_servers_file(
        app_page: Page, client: Client) -> None:
    page = app_page
    job_id = run_through_form(page, "Sample station table (CSV)", {"Rows": "25"})
    card = card_of(open_results(page, job_id), "table")
    expect(card).to_have_count(1)
    csv_table = card.locator("table.pdr-csv")
    expect(csv_table).to_be_visible(timeout=TIMEOUT)
    expect(csv_table.locator("th")).to_have_text(
        ["station", "time", "temperature", "lon", "lat"])
    expect(csv_table.locator("tbody tr")).to_have_count(25)
    expect(csv_table.locator("tbody tr").first.locator("td").first).to_have_text("Bergen")
    expect(card.get_by_text("25 rows × 5 columns")).to_be_visible()
    expect(card.locator(".pd-result-python")).to_contain_text(
        f'client.open_job_result("{job_id}", "table")')
    screenshot(page, card, "sample_table.png")

    button = card.get_by_role("button", name="Download table.csv")
    with page.expect_download(timeout=TIMEOUT) as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename == "table.csv"
    downloaded = Path(download.path()).read_bytes()
    href = client.get_job_results(job_id)["table"]["href"]
    served = httpx.get(href, timeout=10.0)
    served.raise_for_status()
    assert downloaded == served.content
    assert downloaded.startswith(b"station,time,temperature,lon,lat")
    assert downloaded.count(b"\n") == 26  # header and 25 rows


def test_a_png_link_shows_the_image_at_its_size(app_page: Page) -> None:
    page = app_page
    job_id = run_through_form(page, "Sample quicklook (PNG)",
                              {"Width": "200", "Height": "96"})
    card = card_of(open_results(page, job_id), "quicklook")
    image = card.locator("img.pdr-img")
    expect(image).to_be_visible(timeout=TIMEOUT)
    expect(image).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    # decoded by the browser: the PNG is really there, at the size asked for
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle(), timeout=TIMEOUT)
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [200, 96]
    expect(card.get_by_role("button", name="Download quicklook.png")).to_be_visible()
    screenshot(page, card, "sample_quicklook.png")


def test_a_geojson_link_shows_the_plot(app_page: Page) -> None:
    page = app_page
    job_id = run_through_form(page, "Sample features (GeoJSON)", {"Points": "7"})
    cards = open_results(page, job_id)
    file_card = card_of(cards, "features_file")
    plot = file_card.locator('svg[aria-label^="GeoJSON plot"]')
    expect(plot).to_be_visible(timeout=TIMEOUT)
    expect(plot).to_have_attribute("aria-label", re.compile(r"lon -10 to 30, lat 35 to 65"))
    expect(plot.locator("circle")).to_have_count(7)
    expect(plot.locator("polygon")).to_have_count(2)
    expect(file_card.get_by_role("button", name="Download features.geojson")).to_be_visible()
    # the inline collection is drawn as well
    expect(card_of(cards, "features").locator('svg[aria-label^="GeoJSON plot"]')
           ).to_be_visible()
    screenshot(page, file_card, "sample_features.png")


def test_a_zarr_link_shows_the_dataset_summary_and_no_download(app_page: Page) -> None:
    page = app_page
    job_id = run_through_form(page, "Sample data cube (Zarr)")
    card = card_of(open_results(page, job_id), "cube")
    summary = card.locator(".xr-wrap")
    expect(summary).to_be_visible(timeout=TIMEOUT)
    expect(summary.get_by_text("xarray.Dataset")).to_be_visible()
    expect(summary.get_by_text("Dimensions:")).to_be_visible()
    expect(summary.locator(".xr-var-name", has_text=re.compile(r"^data$"))).to_be_visible()
    expect(card.get_by_text(re.compile("Zarr store is a directory"))).to_be_visible()
    expect(card.get_by_role("button", name=re.compile("^Download"))).to_have_count(0)
    expect(card.locator(".pd-result-python")).to_contain_text(
        f'client.open_job_result("{job_id}", "cube")')
    screenshot(page, card, "sample_zarr.png")


def test_a_link_to_a_missing_file_says_so_and_the_app_keeps_working(app_page: Page) -> None:
    page = app_page
    job_id = run_through_form(page, "Missing table")
    card = card_of(open_results(page, job_id), "table")
    preview_error = card.get_by_role("alert").filter(has_text="No preview")
    expect(preview_error).to_be_visible(timeout=TIMEOUT)
    card.get_by_role("button", name="Download gone.csv").click()
    download_error = card.get_by_role("alert").filter(has_text="Could not download table")
    expect(download_error).to_be_visible(timeout=TIMEOUT)
    assert "Traceback" not in page.evaluate(DEEP_TEXT_JS)
    screenshot(page, card, "missing_table.png")

    # the rest of the app still answers: another run, and its results
    next_job = run_through_form(page, "Sample station table (CSV)", {"Rows": "3"},
                                previous=job_id)
    next_card = card_of(open_results(page, next_job), "table")
    expect(next_card.locator("table.pdr-csv tbody tr")).to_have_count(3, timeout=TIMEOUT)

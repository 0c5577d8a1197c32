"""The job table fits its pane, measured in real headless Chromium.

Job, process, status, progress, created and duration, each with its whole heading,
and the row buttons lie inside the table's visible box, and nothing scrolls
sideways: in the standalone app (``procdeck gui``) at 1440 and 1280 px, light and
dark, and in the notebook layout (``App(client, notebook=True)``) in cells 900 to
1100 px wide, served here by Panel. The jobs come from the real server through the
real client.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import panel as pn
import pytest
from playwright.sync_api import Locator, Page, expect

from procdeck import Client
from procdeck.gui.app import App
from procdeck.server.testing import free_port

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TIMEOUT = 20_000
SHOWN = ("job", "process", "status", "progress", "created", "duration")
BUTTONS = ("open", "again", "dismiss")
# Tabulator's own colour for the edge of frozen columns (light on a dark page).
TABULATOR_FROZEN_EDGE = "rgb(221, 221, 221)"

# What the browser lays out: the holder's box and, per column, its heading's place
# relative to that box, and whether the heading text is cut short.
MEASURE = """(table) => {
  const holder = table.querySelector('.tabulator-tableholder');
  const box = holder.getBoundingClientRect();
  const columns = {};
  for (const col of table.querySelectorAll('.tabulator-header .tabulator-col[tabulator-field]')) {
    const rect = col.getBoundingClientRect();
    const title = col.querySelector('.tabulator-col-title');
    columns[col.getAttribute('tabulator-field')] = {
      left: rect.left - box.left, right: rect.right - box.left, width: rect.width,
      cut: title !== null && title.scrollWidth > title.clientWidth + 1,
      edge: getComputedStyle(col).borderLeftColor,
    };
  }
  const buttons = [...holder.querySelectorAll('button.pd-row-action')].map((button) => {
    const rect = button.getBoundingClientRect();
    return {label: button.getAttribute('aria-label'), left: rect.left - box.left,
            right: rect.right - box.left};
  });
  return {width: box.width, scrollWidth: holder.scrollWidth, clientWidth: holder.clientWidth,
          columns, buttons};
}"""


def problems(layout: dict[str, Any]) -> list[str]:
    """Everything that keeps a person from seeing the whole row at once."""
    found = []
    if layout["scrollWidth"] > layout["clientWidth"] + 1:
        found.append(f"scrolls sideways: {layout['scrollWidth']} px in {layout['clientWidth']}")
    width = layout["width"]
    for field in (*SHOWN, *BUTTONS):
        column = layout["columns"].get(field)
        if column is None or column["width"] == 0:
            found.append(f"{field}: not shown")
        elif column["left"] < -1 or column["right"] > width + 1:
            found.append(f"{field}: at {column['left']:.0f}-{column['right']:.0f} px, "
                         f"outside the visible {width:.0f} px")
        elif field in SHOWN and column["cut"]:
            found.append(f"{field}: heading cut short")
    for button in layout["buttons"]:
        if button["left"] < -1 or button["right"] > width + 1:
            found.append(f"{button['label']} button at {button['left']:.0f} px: outside")
    return found


def job_table(page: Page, job_ids: list[str]) -> Locator:
    """The job table once it shows ``job_ids``."""
    for job_id in job_ids:
        cell = page.locator('.tabulator-cell[tabulator-field="job"]',
                            has_text=re.compile(rf"^\s*{re.escape(job_id)}\s*$"))
        expect(cell).to_have_count(1, timeout=TIMEOUT)
    return page.locator(".pd-right .tabulator").first


def settled_layout(page: Page, table: Locator) -> dict[str, Any]:
    """The table's layout once it fits, or as it is after 10 s (Tabulator redraws a
    few times while rows arrive)."""
    deadline = time.monotonic() + 10
    while True:
        layout = table.evaluate(MEASURE)
        if not problems(layout) or time.monotonic() > deadline:
            return layout
        page.wait_for_timeout(250)


@pytest.fixture(scope="module")
def job_ids(live_server: str) -> list[str]:
    """Two finished jobs (each row has its Results and Dismiss buttons)."""
    with Client(live_server) as client:
        ids = [client.execute_process("primes_between", {"max_val": 20}).jobID
               for _ in range(2)]
        for job_id in ids:
            client.wait_for_job(job_id, timeout=30)
    return ids


@pytest.mark.parametrize(("width", "theme"), [(1440, "light"), (1440, "dark"), (1280, "light")])
def test_standalone_app_shows_the_whole_row(browser, app_url: str, job_ids: list[str],
                                            width: int, theme: str) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(app_url + ("?theme=dark" if theme == "dark" else ""))
        layout = settled_layout(page, job_table(page, job_ids))
        assert not problems(layout), "; ".join(problems(layout))
        labels = [button["label"] for button in layout["buttons"]]
        assert labels.count("Dismiss") >= len(job_ids) and "Results" in labels
        edge = layout["columns"]["dismiss"]["edge"]
        assert edge != TABULATOR_FROZEN_EDGE, "the buttons' edge follows the palette"
    finally:
        context.close()


@pytest.fixture(scope="module")
def notebook_url(live_server: str) -> Iterator[str]:
    """A Panel page with the app laid out for a notebook in a cell ``?width=`` px wide."""
    port = free_port()

    def cell() -> pn.viewable.Viewable:
        # The job table joins the page after it loads: its script must be asked for.
        pn.extension("tabulator")
        client = Client(live_server)
        pn.state.on_session_destroyed(lambda _context: client.close())
        width = int(pn.state.session_args.get("width", [b"1000"])[0])
        return pn.Column(App(client, notebook=True), width=width)

    server = pn.serve(cell, port=port, address="127.0.0.1", threaded=True, show=False,
                      websocket_origin=[f"127.0.0.1:{port}"])
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "panel server did not start"
        time.sleep(0.1)
    yield url
    server.stop()


@pytest.mark.parametrize("width", [900, 1000, 1100])
def test_notebook_layout_shows_the_whole_row(browser, notebook_url: str, job_ids: list[str],
                                             width: int) -> None:
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{notebook_url}?width={width}")
        layout = settled_layout(page, job_table(page, job_ids))
        assert not problems(layout), "; ".join(problems(layout))
        if width == 900:  # the job pane is full width below the others: room for messages
            assert layout["columns"]["message"]["width"] > 0
    finally:
        context.close()

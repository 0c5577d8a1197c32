"""A hostile server cannot inject markup or script through the job table or result viewers.

The real server never sends such documents, so this one is an httpx MockTransport
(the documented exception); the table is served by Panel in this process and
rendered by real headless Chromium.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import panel as pn
import pytest
from playwright.sync_api import expect

from procdeck import Client
from procdeck.gui.jobs import JobPoller, JobTable
from procdeck.gui.jobs.session import bind_to_session
from procdeck.server.testing import free_port

pytestmark = [pytest.mark.browser]

TIMEOUT = 20_000
EVIL_ID = '<img src=x onerror="window.__xss=1">'
EVIL_MESSAGE = '<img src=y onerror="window.__xss=2"><b>bold</b>'
EVIL_RESULT = '<script>window.__xss=3</script><img src=z onerror="window.__xss=4">'
JOBS = [
    {"jobID": EVIL_ID, "processID": "<i>p</i>", "status": "<script>window.__xss=5</script>",
     "message": EVIL_MESSAGE, "created": "2025-01-01T00:00:00Z"},
    {"jobID": "job_evil", "processID": "evil", "status": "successful", "message": EVIL_MESSAGE,
     "created": "2025-01-02T00:00:00Z", "started": "2025-01-02T00:00:00Z",
     "finished": "2025-01-02T00:00:01Z"},
]


def hostile(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/jobs":
        return httpx.Response(200, json={"jobs": JOBS, "links": []})
    if path == "/processes":
        return httpx.Response(200, json={"processes": [
            {"id": "evil", "title": '<img src=t onerror="window.__xss=6">'}], "links": []})
    if path == "/jobs/job_evil/results":
        return httpx.Response(200, json={"text": EVIL_RESULT, "tree": {EVIL_RESULT: [EVIL_RESULT]},
                                         "link": {"href": "javascript:window.__xss=7",
                                                  "title": EVIL_RESULT}})
    return httpx.Response(404, json={"title": "Not found", "status": 404})


@pytest.fixture
def hostile_app() -> Iterator[str]:
    client = Client("http://hostile.invalid", transport=httpx.MockTransport(hostile))

    def app() -> pn.viewable.Viewable:
        poller = JobPoller(client, fast_interval=0.3)
        table = JobTable(poller)
        return pn.Column(table, bind_to_session(poller), width=900)

    port = free_port()
    server = pn.serve(app, port=port, address="127.0.0.1", threaded=True, show=False,
                      websocket_origin=[f"127.0.0.1:{port}"])
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "panel server did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/"
    server.stop()
    client.close()


def test_hostile_job_documents_show_as_text(watched_page, hostile_app: str) -> None:
    page, watch = watched_page
    page.goto(hostile_app)
    message = page.locator('.tabulator-cell[tabulator-field="message"]').first
    expect(message).to_have_text(EVIL_MESSAGE, timeout=TIMEOUT)
    expect(page.locator('.tabulator-cell[tabulator-field="job"]').filter(has_text="<img src=x")
           ).to_have_count(1)
    expect(page.locator(".pd-status-unknown")).to_have_text("<script>window.__xss=5</script>")
    expect(page.locator('.tabulator-cell[tabulator-field="process"]').filter(
        has_text='<img src=t onerror="window.__xss=6"> (evil)')).to_be_visible(timeout=TIMEOUT)

    page.get_by_role("button", name="Results", exact=True).click()
    expect(page.get_by_text("Results of job_evil")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("pre.pdr-text")).to_have_text(EVIL_RESULT, timeout=TIMEOUT)
    expect(page.get_by_text("javascript:window.__xss=7")).to_be_visible()
    expect(page.get_by_role("link", name="Open")).to_have_count(0)

    assert page.evaluate("window.__xss") is None, "no injected script ran"
    assert page.locator("img").count() == 0, "no injected element was created"
    assert page.locator("b", has_text="bold").count() == 0
    assert watch.outside == [], f"requests left localhost: {watch.outside}"
    assert watch.errors == [], f"console errors: {watch.errors}"

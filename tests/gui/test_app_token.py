"""The access token never reaches the browser: not the page, not the websocket traffic,
not the saved request, not the app's or the server's log.

The real server runs with ``--token-file``; ``procdeck gui`` gets the token from
``PROCDECK_ACCESS_TOKEN`` (as documented). Real Chromium uses the whole app (process list,
form, execute, job table, results, save request) while every websocket frame in both
directions is recorded; the token must be absent from all of it, from the page's HTML
(shadow roots included) and from the downloaded file, while the app demonstrably used it
(the server answers nothing but its landing page without it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from served_app import ServedApp, assert_no_app_errors

from procdeck.server.testing import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TOKEN = "gui-tok-3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e1f"
WRONG = "gui-wrong-8e6c4a2f0d9b7e5c3a1f"
TIMEOUT = 20_000

DEEP_HTML_JS = """
() => {
  const parts = [document.documentElement.outerHTML];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { parts.push(el.shadowRoot.innerHTML); visit(el.shadowRoot); }
      if (el.value !== undefined && typeof el.value === 'string') parts.push(el.value);
      if (el.title) parts.push(el.title);
    }
  };
  visit(document);
  return parts.join('\\n');
}
"""


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("token")
    token_file = root / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    with ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data",
                       extra_args=["--token-file", str(token_file), "--access-log"],
                       log_path=root / "server.log") as server:
        yield server


def served(server: ServerProcess, token: str, log: Path) -> ServedApp:
    return ServedApp(server.url, log, env={"PROCDECK_ACCESS_TOKEN": token,
                                           "PROCDECK_CONFIG": str(log.with_suffix(".toml"))})


def record_frames(page: Page) -> list[str]:
    """Every websocket frame the page sends or receives, as text."""
    frames: list[str] = []

    def on_socket(socket) -> None:
        for event in ("framesent", "framereceived"):
            socket.on(event, lambda payload: frames.append(
                payload if isinstance(payload, str) else payload.decode("utf-8", "replace")))

    page.on("websocket", on_socket)
    return frames


def test_the_token_is_used_but_never_reaches_the_browser(watched_page, secured: ServerProcess,
                                                         tmp_path: Path) -> None:
    page, watch = watched_page
    frames = record_frames(page)
    with served(secured, TOKEN, tmp_path / "app.log") as app:
        page.goto(app.url)
        expect(page.get_by_role("status", name="Connection")).to_contain_text(
            "Online", timeout=TIMEOUT)
        page.get_by_role("button", name="Prime Processor").click()  # needs the token
        execute = page.get_by_role("button", name="Execute", exact=True)
        expect(execute).to_be_enabled(timeout=TIMEOUT)
        execute.click()
        started = page.get_by_text(re.compile(r"Started job \S+"))
        expect(started).to_be_visible(timeout=TIMEOUT)
        job_id = re.search(r"Started job (\S+)", started.inner_text()).group(1)
        row = page.locator(".tabulator-row").filter(has_text=job_id)
        expect(row).to_contain_text("successful", timeout=TIMEOUT)
        row.get_by_role("button", name="Results").click()
        expect(page.get_by_text(f"Results of {job_id}")).to_be_visible(timeout=TIMEOUT)
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Save request").click()
        saved = Path(download_info.value.path()).read_text()
        html = page.evaluate(DEEP_HTML_JS)
    assert '"inputs"' in saved and "max_val" in saved
    assert len(frames) > 10 and any("Prime Processor" in frame for frame in frames)
    for where, text in {"saved request": saved, "page": html, "websocket": "\n".join(frames),
                        "app log": app.log(), "server log": secured.log()}.items():
        assert TOKEN not in text, f"the token shows in the {where}"
    assert f"GET /jobs/{job_id}/results" in secured.log()  # the app did talk to the server
    assert watch.errors == [], f"console errors: {watch.errors}"
    assert_no_app_errors(app.log())


def test_a_wrong_token_is_said_and_not_echoed(watched_page,
                                                            secured: ServerProcess,
                                                            tmp_path: Path) -> None:
    page, _ = watched_page
    frames = record_frames(page)
    with served(secured, WRONG, tmp_path / "app.log") as app:
        page.goto(app.url)
        expect(page.get_by_role("list", name="Processes")).to_contain_text(
            "Could not load the processes (Unauthorized). Trying again", timeout=TIMEOUT)
        expect(page.locator(".pd-jobs-state")).to_contain_text(
            "requires a valid access token", timeout=TIMEOUT)
        html = page.evaluate(DEEP_HTML_JS)
    for text in (html, "\n".join(frames), app.log(), secured.log()):
        assert WRONG not in text and TOKEN not in text

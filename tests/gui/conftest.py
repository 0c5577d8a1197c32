"""Browser fixtures: Debian's Chromium driven by Playwright, offline-safe flags; the app
(``procdeck gui``) served in a subprocess against a real server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from served_app import ServedApp

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Module scope, not session: while Playwright's sync API is alive its event loop counts as
# running in the main thread, so asyncio tests (pytest-asyncio, asyncio.run) collected
# after the browser tests would fail with "cannot be called from a running event loop".
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per test module (closed before the next module runs)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh 1280x800 page (own context, so no state leaks between tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


# -- the app, served by `procdeck gui` in a subprocess --------------------------------------

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="session")
def app_url(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the app (``procdeck gui``) serving the session's ``live_server``."""
    app = ServedApp(live_server, tmp_path_factory.mktemp("app") / "app.log").start()
    try:
        yield app.url
    finally:
        app.stop()


@pytest.fixture
def app_factory(tmp_path: Path) -> Iterator[object]:
    """Start more apps: ``start(server_url) -> ServedApp``; all stopped at teardown."""
    started: list[ServedApp] = []

    def start(server_url: str) -> ServedApp:
        app = ServedApp(server_url, tmp_path / f"app-{len(started)}.log")
        started.append(app)
        return app.start()

    yield start
    for app in started:
        app.stop()


class PageWatch:
    """What a page asked for and complained about: requests, console errors, page errors."""

    def __init__(self, page) -> None:
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []  # requests that got no answer, named in failure reports
        page.on("request", self._on_request)
        page.on("requestfailed", lambda request: self.failed.append(
            f"{request.method} {request.url}: {request.failure}"))
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error} {error.stack}"))

    def _on_request(self, request) -> None:
        self.requests.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            self.outside.append(request.url)

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")


@pytest.fixture
def watched_page(browser) -> Iterator[tuple[object, PageWatch]]:
    """A 1280x800 page that records requests and errors; requests off localhost are refused."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)

    def refuse_outside(route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", refuse_outside)
    page = context.new_page()
    watch = PageWatch(page)
    yield page, watch
    context.close()

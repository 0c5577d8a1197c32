"""The app keeps the access token (and a password in the server URL) to itself.

The view-models of a whole app (``App``: state, connection monitor, job poller, job table,
request preview) run against a real ``procdeck serve --token-file``: the token is used (the
server refuses everything without it) and shows in no repr, parameter value, rendered HTML,
problem, request or log line (every logger at DEBUG). A wrong token gives a readable
problem that names neither token. The browser side (page, websocket traffic, the saved
file, the app's log) is ``tests/gui/test_app_token.py``; the client's own secrets tests are
``tests/unit/test_secrets.py``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("panel")

from procdeck import Client
from procdeck.client import ClientConfig
from procdeck.gui.app import App
from procdeck.models import JobStatus

pytestmark = pytest.mark.integration

TOKEN = "app-tok-5b8e1d7c9f2a4e6b0c3d5f7a9e1b3c5d"
WRONG = "not-the-token-2f4e6a8c0b1d3f5a7c9e"
PASSWORD = "url-pw-9c7a5e3b1d0f2e4a6c8b"


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("PROCDECK_SERVER_URL", "PROCDECK_ACCESS_TOKEN", "PROCDECK_USER_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROCDECK_CONFIG", str(tmp_path / "absent.toml"))


@pytest.fixture
def secured(server_factory, tmp_path: Path) -> Iterator[Any]:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    yield server_factory(store=tmp_path / "jobs.sqlite", extra_args=[
        "--token-file", str(token_file), "--access-log", "--log-level", "debug"])


def everything_shown(app: App) -> list[Any]:
    """What the app's objects show or hold for display."""
    state, poller = app.state, app.jobs.poller
    return [
        repr(app), app.param.values(), repr(state), state.param.values(),
        repr(state.connection), state.connection.param.values(), app._connection_html(),
        repr(poller), poller.param.values(), json.dumps(poller.jobs, default=str),
        app.jobs.table._header.object, app.preview.text, app.preview.shown,
        app.process_header.object, app.process_io.object, app.status_line.object,
        app.blockers_view.object, state.problem and state.problem.param.values(),
        repr(state.descriptions), json.dumps(state.request), state.request_filename(),
    ]


def assert_absent(secret: str, texts: list[Any]) -> None:
    for text in texts:
        assert secret not in str(text), str(text)[:500]


async def test_the_token_is_used_and_shown_nowhere_in_the_app(secured, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with Client(secured.url, access_token=TOKEN, timeout=10) as client:
        app = App(client)
        state = app.state
        await state.start()
        assert "primes_between" in [p.id for p in state.catalog.processes]  # token used
        await state.select("primes_between")
        job = await state.execute()
        assert job is not None and state.problem is None
        app.jobs.track(job, "primes_between", state.build_request())
        poller = app.jobs.poller
        for _ in range(50):
            await poller.atick()
            if poller.jobs[job.jobID].status == JobStatus.SUCCESSFUL:
                break
        assert poller.jobs[job.jobID].status == JobStatus.SUCCESSFUL
        # a failing call with the token: its problem and its log lines
        with pytest.raises(Exception) as missing:
            await app.jobs.poller.dismiss("job_999999")
        state.report_problem(missing.value)
        assert state.problem is not None and "job_999999" in state.problem.detail
        shown = everything_shown(app)
    assert_absent(TOKEN, [*shown, caplog.text, secured.log()])
    assert any(record.name == "httpx" for record in caplog.records)  # it did log


async def test_a_wrong_token_is_a_readable_problem_naming_no_token(secured) -> None:
    with Client(secured.url, access_token=WRONG, timeout=10) as client:
        app = App(client)
        await app.state.start()
        problem = app.state.problem
        assert problem is not None and problem.kind == "error"
        assert "401" in problem.title or "Unauthorized" in problem.title, problem.title
        assert await app.state.connection.check()  # the landing page is open to everyone
        assert app.state.catalog.processes == []
        assert_absent(WRONG, everything_shown(app))
        assert_absent(TOKEN, everything_shown(app))


async def test_a_password_in_the_server_url_is_masked(server_factory, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server = server_factory(store=":memory:")
    url = server.url.replace("http://", f"http://someone:{PASSWORD}@")
    with Client(url, timeout=10) as client:
        assert PASSWORD not in repr(client) and "someone:****@" in repr(client)
        assert PASSWORD not in repr(ClientConfig(server_url=url))
        app = App(client)
        await app.state.start()
        assert app.state.connection.is_online
        assert "someone:****@" in app._connection_html()
        server.stop()  # offline: the messages name the server, without the password
        await app.state.connection.check()
        await app.jobs.poller.atick()
        assert not app.state.connection.is_online and app.jobs.poller.error
        # procdeck's own log lines (httpx logs request URLs as given, userinfo included)
        ours = [r.getMessage() for r in caplog.records if r.name.startswith("procdeck")]
        assert_absent(PASSWORD, [*everything_shown(app), *ours])

"""``procdeck gui`` and ``procdeck demo`` as a user runs them, and the notebook entry points."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from procdeck.cli import app as cli
from procdeck.server.testing import free_port

pytestmark = pytest.mark.integration


def wait_until_answers(url: str, process: subprocess.Popen[bytes], log: Path,
                       timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited early:\n{log.read_text()}"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer:\n{log.read_text()}")


def refuses(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.TransportError:
        return True
    return False


def test_gui_and_demo_options_are_documented() -> None:
    runner = CliRunner()
    gui_help = runner.invoke(cli, ["gui", "--help"], env={"COLUMNS": "200"})
    assert gui_help.exit_code == 0
    for option in ("--server", "--port", "--address", "--no-browser"):
        assert option in gui_help.output
    demo_help = runner.invoke(cli, ["demo", "--help"], env={"COLUMNS": "200"})
    assert demo_help.exit_code == 0
    for option in ("--port", "--server-port", "--no-browser"):
        assert option in demo_help.output


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_demo_serves_server_and_app_and_stops_both(tmp_path: Path, signum: int) -> None:
    app_port, server_port = free_port(), free_port()
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "procdeck", "demo", "--port", str(app_port),
             "--server-port", str(server_port), "--no-browser"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    app_url, server_url = f"http://127.0.0.1:{app_port}/", f"http://127.0.0.1:{server_port}"
    try:
        wait_until_answers(app_url, process, log)
        processes = httpx.get(f"{server_url}/processes", timeout=5).json()["processes"]
        assert {"sleep_a_while", "simulate_scene"} <= {p["id"] for p in processes}
        page = httpx.get(app_url, timeout=10)
        assert page.status_code == 200 and "procdeck" in page.text
        output = log.read_text()
        assert server_url in output and app_url in output
        process.send_signal(signum)
        assert process.wait(30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert refuses(app_url) and refuses(server_url + "/")
    assert "Stopped the app and the server." in log.read_text()
    assert "Traceback" not in log.read_text()


def test_gui_serves_independent_sessions(live_server: str, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "gui.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "procdeck", "gui", "--server", live_server, "--port",
             str(port), "--address", "127.0.0.1", "--no-browser"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_answers(url, process, log)
        first, second = httpx.get(url, timeout=10).text, httpx.get(url, timeout=10).text
        # every page is its own Bokeh document (own session id): no shared state
        assert "procdeck" in first
        assert _session_id(first) != _session_id(second)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _session_id(page: str) -> str:
    import re

    match = re.search(r'"sessionid"\s*:\s*"([^"]+)"|sessionid=([\w-]+)|"token"\s*:\s*"([^"]+)"',
                      page)
    assert match, "no session id in the page"
    return next(group for group in match.groups() if group)


def test_notebook_entry_points(live_server: str) -> None:
    import ipywidgets

    from procdeck.client import Client
    from procdeck.gui.app import App
    from procdeck.gui.notebook import NotebookForm, show_app, show_form

    with Client(server_url=live_server) as client:
        app = show_app(client)
        try:
            assert isinstance(app, App) and app.notebook
            assert isinstance(app.to_ipywidget(), ipywidgets.DOMWidget)
        finally:
            app.stop()
        form = show_form(client, "sleep_a_while")
        assert isinstance(form, NotebookForm)
        assert form.value == {"duration": 10, "fail": False} and form.is_valid
        form.value = {"duration": 2.5, "fail": True}
        assert form.form.value == {"duration": 2.5, "fail": True}
        assert form.request == {"inputs": {"duration": 2.5, "fail": True}}
        form.form.field("duration").value = 4
        assert form.value["duration"] == 4
        assert form.__panel__() is form.view

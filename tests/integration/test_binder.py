"""Binder: `start` runs the local server before Jupyter; the proxy entry serves the app.

Binder itself is not run here (no Docker, no network): the test runs
``binder/start`` with a trivial command in place of Jupyter, and runs the exact
command jupyter-server-proxy would run for the app.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from traitlets.config import Config

from procdeck import Client
from procdeck.server.testing import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
VENV_BIN = Path(sys.executable).parent

# What the command started by `start` sees: the server URL it exported, and the server there.
PROBE = """
from procdeck import Client
with Client() as client:
    print(client.server_url)
    print(client.get_capabilities().title)
"""


def _state(pid: int) -> str | None:
    """The process state letter from /proc (None once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _stop_server(pid_file: Path, port: int) -> None:
    """SIGTERM the server ``start`` left running (only if it is that server) and wait for it."""
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return
    if b"serve" not in cmdline or str(port).encode() not in cmdline:
        return  # the pid was reused by something else: not ours to stop
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while _state(pid) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _state(pid) in (None, "Z"), "the server did not stop on SIGTERM"


@pytest.fixture
def binder_home(tmp_path: Path) -> Iterator[tuple[Path, int, dict[str, str]]]:
    """A PROCDECK_HOME, a free port and the environment to run ``binder/start`` with."""
    home = tmp_path / "procdeck-home"
    port = free_port()
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "PROCDECK_HOME": str(home),
        "PROCDECK_PORT": str(port),
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("PROCDECK_SERVER_URL", None)
    try:
        yield home, port, env
    finally:
        _stop_server(home / "server.pid", port)


def test_start_runs_the_server_then_execs_the_command(binder_home) -> None:
    home, port, env = binder_home
    url = f"http://127.0.0.1:{port}"
    done = subprocess.run(
        ["bash", str(BINDER / "start"), sys.executable, "-c", PROBE],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"procdeck server: {url}" in done.stdout
    assert f"{url}\nprocdeck local server\n" in done.stdout

    # The server outlives the start script (it serves Jupyter's whole session) and works.
    with Client(url) as client:
        ids = [p.id for p in client.get_processes().processes]
        assert "sleep_a_while" in ids and "primes_between" in ids
        results = client.run_process("primes_between", {"min_val": 10, "max_val": 20}, timeout=30)
        assert results.value("return_value") == [11, 13, 17, 19]
    assert (home / "jobs.sqlite").exists()
    assert "serving" in (home / "server.log").read_text()


def test_start_passes_the_command_exit_status_through(binder_home) -> None:
    _, _, env = binder_home
    done = subprocess.run(
        ["bash", str(BINDER / "start"), sys.executable, "-c", "import sys; sys.exit(7)"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 7


def test_start_exports_the_default_port_8008() -> None:
    # The notebooks rely on the client's default server when PROCDECK_SERVER_URL is unset.
    script = (BINDER / "start").read_text()
    assert 'PROCDECK_PORT="${PROCDECK_PORT:-8008}"' in script
    assert 'exec "$@"' in script.splitlines()[-1]
    assert os.access(BINDER / "start", os.X_OK) and os.access(BINDER / "postBuild", os.X_OK)


def test_build_installs_procdeck_with_the_app_server_and_demo_extras() -> None:
    post_build = (BINDER / "postBuild").read_text()
    assert 'pip install --no-cache-dir -e ".[gui,server,demo]"' in post_build
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert {"gui", "server", "demo"} <= set(extras)
    requirements = (BINDER / "requirements.txt").read_text().split()
    assert any(line.startswith("jupyter-server-proxy") for line in requirements)
    assert "binder/jupyter_server_config.py" in post_build


def _proxy_servers() -> dict:
    config = Config()
    path = BINDER / "jupyter_server_config.py"
    namespace = {"get_config": lambda: config, "__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return dict(config.ServerProxy.servers)


def test_proxy_entry_serves_the_app_below_jupyters_url(live_server: str) -> None:
    entry = _proxy_servers()["procdeck"]
    assert entry["absolute_url"] is True
    assert entry["launcher_entry"]["title"] == "procdeck app"
    port = free_port()
    base_url = "/user/someone/"
    command = [part.format(port=port, base_url=base_url) for part in entry["command"]]
    env = {**os.environ, "PROCDECK_SERVER_URL": live_server}
    app = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        page = None
        deadline = time.monotonic() + 60
        while page is None and time.monotonic() < deadline:
            assert app.poll() is None, app.stdout.read().decode() if app.stdout else ""
            try:
                page = httpx.get(f"http://127.0.0.1:{port}{base_url}procdeck/", timeout=30)
            except httpx.TransportError:
                time.sleep(0.2)
        assert page is not None, "the app did not answer"
        assert page.status_code == 200
        assert "<title>procdeck</title>" in page.text
        assert "Traceback" not in page.text
        # The page's resources are relative, so they resolve below the proxy's prefix.
        assert 'src="static/js/bokeh.min.js' in page.text
        script = httpx.get(f"http://127.0.0.1:{port}{base_url}procdeck/static/js/bokeh.min.js")
        assert script.status_code == 200
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(15)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()

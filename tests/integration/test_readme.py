"""The README (and the guides) can't rot: the quick start, snippets and commands are run here.

- The quick start holds exactly the demo and the test command, and ``.ci/run`` runs the latter.
- The demo command serves the app and the server, and stops cleanly on SIGTERM.
- Every ``python`` block runs against a real server; the command-line examples run in order
  against a fresh server; the "serving your own processes" example is served and executed.
- Every local link and image points to a file that exists.
- The examples of docs/custom-processes.md and docs/configuration.md run as written.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from procdeck import Client
from procdeck.server.testing import ServerProcess, free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
VENV_BIN = Path(sys.executable).parent
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Commands that serve until stopped: the demo test and the custom-process test cover them.
LONG_RUNNING = ("procdeck serve", "procdeck gui", "procdeck demo")


def section(title: str) -> str:
    """The text of the README's ``## title`` section (up to the next ``## `` heading)."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no section '## {title}'"
    return match.group(1)


def code_blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks of ``language`` in ``text`` (indented fences included)."""
    blocks = []
    for lang, body in FENCE.findall(re.sub(r"^ +```", "```", text, flags=re.M)):
        if lang == language:
            blocks.append(body)
    return blocks


def commands(block: str) -> list[str]:
    """The commands of a shell block: non-empty lines without their trailing comments."""
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def cli_env(server_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PROCDECK_SERVER_URL": server_url,
        "PROCDECK_CONFIG": str(tmp_path / "config.toml"),
        "PROCDECK_HOME": str(tmp_path / "home"),
    }


# -- the quick start ---------------------------------------------------------------------------


def test_quick_start_holds_exactly_the_demo_and_the_test_command() -> None:
    quick_start = section("Quick start")
    blocks = [commands(block) for block in code_blocks(quick_start, "bash")]
    assert blocks == [["bash scripts/demo.sh"], ["bash scripts/test.sh"]]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    steps = [line.strip() for line in ci.splitlines() if line.strip() and not line.startswith("#")]
    assert "exec bash scripts/test.sh" in steps
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_demo_command_serves_the_app_and_the_server_and_stops_on_sigterm(tmp_path) -> None:
    app_port, server_port = free_port(), free_port()
    # PROCDECK_SKIP_SETUP: the venv the tests run in is already set up (scripts/test.sh did it).
    env = {**os.environ, "PROCDECK_SKIP_SETUP": "1"}
    command = ["bash", "scripts/demo.sh", "--no-browser", "--port", str(app_port),
               "--server-port", str(server_port)]
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        app_url, server_url = f"http://127.0.0.1:{app_port}/", f"http://127.0.0.1:{server_port}"
        page = None
        deadline = time.monotonic() + 90
        while page is None and time.monotonic() < deadline:
            assert demo.poll() is None, f"the demo exited early:\n{log.read_text()}"
            try:
                page = httpx.get(app_url, timeout=30)
            except httpx.TransportError:
                time.sleep(0.25)
        assert page is not None, f"the app did not answer:\n{log.read_text()}"
        assert page.status_code == 200 and "<title>procdeck</title>" in page.text
        with Client(server_url) as client:
            ids = [p.id for p in client.get_processes().processes]
        assert {"sleep_a_while", "primes_between", "simulate_scene"} <= set(ids)
        output = log.read_text()
        assert f"procdeck server: {server_url}" in output
        assert f"procdeck app:    {app_url}" in output
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            code = demo.wait(30)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
            pytest.fail(f"the demo did not stop on SIGTERM:\n{log.read_text()}")
    assert code == 0, log.read_text()
    assert "Stopped the app and the server." in log.read_text()
    for url in (app_url, server_url):  # both really stopped: nothing left listening
        with pytest.raises(httpx.TransportError):
            httpx.get(url, timeout=2)


# -- snippets and commands ---------------------------------------------------------------------

PYTHON_BLOCKS = code_blocks(README, "python")


def test_the_readme_has_python_examples() -> None:
    assert len(PYTHON_BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_python_snippet_runs(index: int, live_server: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PYTHON_BLOCKS[index]], cwd=tmp_path,
        env=cli_env(live_server, tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, f"snippet {index} failed:\n{done.stderr}"
    assert "Traceback" not in done.stderr


def test_python_snippets_print_what_they_compute(live_server: str, tmp_path: Path) -> None:
    [plain, asynchronous] = code_blocks(section("From Python"), "python")
    env = cli_env(live_server, tmp_path)
    out = subprocess.run([sys.executable, "-c", plain], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert "{'return_value': [11, 13, 17, 19, 23, 29]}" in out
    out = subprocess.run([sys.executable, "-c", asynchronous], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert out.startswith("[[2, 3, 5, 7, 11") and "97]]" in out


def test_command_line_examples_run_in_order(server_factory, tmp_path: Path) -> None:
    server = server_factory()
    env = cli_env(server.url, tmp_path)
    [block] = code_blocks(section("The command line"), "bash")
    lines = commands(block)
    assert len(lines) >= 8
    outputs = {}
    for line in lines:
        done = subprocess.run(shlex.split(line), env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        outputs[line] = done.stdout
    assert "[11, 13, 17, 19, 23, 29]" in outputs[
        "procdeck execute primes_between -i min_val=10 -i max_val=30 --wait"
    ]
    assert "job job_1: dismissed" in outputs["procdeck dismiss job_1"]
    assert 'server_url = "http://127.0.0.1:8008"' in (tmp_path / "config.toml").read_text()


def test_serving_your_own_processes_example(tmp_path: Path) -> None:
    text = section("Serving your own processes")
    [module] = code_blocks(text, "python")
    assert module.startswith("# my_processes.py\n")
    (tmp_path / "my_processes.py").write_text(module)
    [serve_line, execute_line] = commands(code_blocks(text, "bash")[0])
    serve_args = shlex.split(serve_line)
    assert serve_args[:4] == ["procdeck", "serve", "--processes", "my_processes"]
    documented_port = serve_args[serve_args.index("--port") + 1]

    server = ServerProcess(processes=["my_processes"], env={"PYTHONPATH": str(tmp_path)},
                           log_path=tmp_path / "server.log")
    with server:
        execute = execute_line.replace(f"127.0.0.1:{documented_port}", f"127.0.0.1:{server.port}")
        done = subprocess.run(shlex.split(execute), env=cli_env(server.url, tmp_path),
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "0.666666" in done.stdout  # (0.5 - 0.1) / (0.5 + 0.1)


def test_local_links_point_to_files_that_exist() -> None:
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    local = [t for t in targets if "://" not in t]
    assert "docs/screenshot.png" in local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_readme_keeps_the_sections_others_fill() -> None:
    # Filled by others (benchmark figures, Dask support): they must stay, with some content.
    assert section("Benchmarks").strip()
    assert section("Running at scale").strip()


# -- the guides ---------------------------------------------------------------------------------


def test_custom_processes_guide_examples_run(tmp_path: Path) -> None:
    guide = (ROOT / "docs" / "custom-processes.md").read_text(encoding="utf-8")
    blocks = code_blocks(guide, "python")
    assert blocks[0].startswith("# water.py\n")
    (tmp_path / "water.py").write_text(blocks[0])
    for name, block in zip(("slow", "series", "echo"), blocks[2:5], strict=True):
        (tmp_path / f"{name}.py").write_text(block)
    env = {"PYTHONPATH": str(tmp_path)}
    with ServerProcess(processes=["water", "slow", "series", "echo"], env=env,
                       log_path=tmp_path / "server.log") as server:
        for block in (blocks[1], blocks[5]):  # the client examples, against this server
            done = subprocess.run(
                [sys.executable, "-c", block.replace("http://127.0.0.1:8009", server.url)],
                cwd=tmp_path, env={**os.environ, **env}, capture_output=True, text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
        with Client(server.url) as client:
            assert client.run_process("slow_sum", {"values": [1, 2], "delay": 0}).to_dict() == {
                "return_value": 3.0
            }
            series = client.run_process("describe_series", {"values": [1, 2, 3]})
            # an object output is a qualified value in the results document
            assert series["stats"] == {"value": {"count": 3, "mean": 2.0},
                                       "mediaType": "application/json"}
            assert series.value("stats") == {"count": 3, "mean": 2.0}
            assert series["report"]["href"].endswith("/series.txt")
            assert client.run_process("echo").value("return_value") == "hello"
            assert "sync-execute" in (client.get_process("echo").jobControlOptions or [])


def test_configuration_guide_example_runs(tmp_path: Path) -> None:
    guide = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for block in code_blocks(guide, "python"):
        done = subprocess.run([sys.executable, "-c", block], cwd=tmp_path,
                              env=cli_env("http://127.0.0.1:8008", tmp_path),
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

"""Real Jupyter frontends for browser tests: JupyterLab, Notebook 7 and Voilà on loopback.

:class:`JupyterFrontend` starts one of them on a free port with its own config,
data, runtime and settings folders (nothing of the machine's Jupyter set-up leaks
in), serving the notebooks of ``root``. Kernels inherit ``env``: the tests give
them ``PROCDECK_SERVER_URL``, as a reader's environment would.

:class:`NotebookPage` drives a notebook in JupyterLab or Notebook 7 the way a
person does: open it, run all cells from the Run menu, wait for the kernel.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import nbformat

from procdeck.server.testing import free_port

__all__ = ["JupyterFrontend", "NotebookPage", "Watch", "watched_page", "write_notebook"]

VENV_BIN = Path(sys.executable).parent
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
"""The notebook on show (JupyterLab keeps other tabs' notebooks in the page, hidden)."""
CELLS = f"{PANEL} .jp-Notebook .jp-CodeCell"


def write_notebook(path: Path, cells: Sequence[str]) -> Path:
    """A python3 notebook at ``path`` with one code cell per source."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(notebook, path)
    return path


class JupyterFrontend:
    """``jupyter lab``, ``jupyter notebook`` or ``voila`` serving ``root`` on 127.0.0.1."""

    def __init__(self, kind: str, root: Path, home: Path, *,
                 env: Mapping[str, str] | None = None) -> None:
        if kind not in ("lab", "notebook", "voila"):
            raise ValueError(kind)
        self.kind = kind
        self.root = root
        self.port = free_port()
        self.log_path = home / f"{kind}.log"
        dirs = {name: home / name for name in ("config", "data", "runtime", "settings",
                                               "workspaces")}
        for folder in dirs.values():
            folder.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(dirs["config"]),
            "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
            "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
            "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.kind == "voila":
            return [str(VENV_BIN / "voila"), "--no-browser", f"--port={self.port}",
                    "--Voila.ip=127.0.0.1", "--show_tracebacks=True", str(self.root)]
        return [
            str(VENV_BIN / "jupyter"), self.kind, "--no-browser", f"--port={self.port}",
            "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
            "--allow-root", f"--ServerApp.root_dir={self.root}",
            "--ServerApp.disable_check_xsrf=True",  # tests shut kernels down over the API
            # no "news" and update checks: the frontend's own baseline stays small
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class="
            "jupyterlab.NeverCheckForUpdate",
        ]

    def start(self, timeout: float = 90.0) -> JupyterFrontend:
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(self.command(), stdout=log,
                                             stderr=subprocess.STDOUT, env=self.env,
                                             cwd=self.root)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited:\n{self.log()[-3000:]}")
            try:
                if httpx.get(self.url + "/", timeout=2.0).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.kind} did not answer in {timeout} s:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def notebook_url(self, name: str) -> str:
        """Where a person opens notebook ``name`` in this frontend."""
        if self.kind == "lab":
            return f"{self.url}/lab/tree/{name}?reset"  # no tabs of earlier pages
        if self.kind == "notebook":
            return f"{self.url}/notebooks/{name}"
        return f"{self.url}/voila/render/{name}"


class NotebookPage:
    """A notebook open in JupyterLab or Notebook 7 (both draw notebooks with JupyterLab's DOM)."""

    def __init__(self, page, frontend: JupyterFrontend) -> None:
        self.page = page
        self.frontend = frontend

    def open(self, name: str, timeout: float = 60_000) -> NotebookPage:
        self.page.goto(self.frontend.notebook_url(name))
        self.page.wait_for_selector(CELLS, timeout=timeout)
        self.wait_idle(timeout)
        return self

    def wait_idle(self, timeout: float = 60_000) -> None:
        """Until the kernel is connected and idle (the toolbar's kernel status says so)."""
        self.page.wait_for_function(
            """(panel) => {
                const el = document.querySelector(panel + ' .jp-Notebook-ExecutionIndicator');
                return el !== null && el.getAttribute('data-status') === 'idle';
            }""",
            arg=PANEL, timeout=timeout,
        )

    def menu(self, top: str, item: str) -> None:
        """Click menu ``top`` and its item ``item`` (exact labels)."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{top}$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{item}$")).click()

    def focus(self) -> None:
        """Make the notebook the current widget (its commands apply to the current one)."""
        self.cells().first.locator(".jp-InputPrompt").click()

    def run_all(self, timeout: float = 120_000) -> None:
        """Run every cell (Run > Run All Cells) and wait until each has its number."""
        for _ in range(3):
            self.focus()
            self.menu("Run", "Run All Cells")
            try:  # the first prompt turns to [*] or [n] once the run is queued
                self.page.wait_for_function(
                    """(cells) => !/\\[ \\]/.test(
                        document.querySelector(cells + ' .jp-InputPrompt').textContent)""",
                    arg=CELLS, timeout=10_000)
                break
            except Exception:  # the menu went to another widget: again
                continue
        self.wait_executed(timeout)

    def wait_executed(self, timeout: float = 120_000) -> None:
        self.page.wait_for_function(
            """(cells) => {
                const prompts = [...document.querySelectorAll(cells + ' .jp-InputPrompt')];
                return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""",
            arg=CELLS, timeout=timeout,
        )
        self.wait_idle(timeout)

    def cells(self):
        return self.page.locator(CELLS)

    def output_text(self, index: int) -> str:
        return self.cells().nth(index).locator(".jp-OutputArea").inner_text()

    def run_cell(self, index: int, source: str | None = None,
                 timeout: float = 120_000) -> None:
        """Run cell ``index`` (after replacing its text with ``source``) and wait for it."""
        cell = self.cells().nth(index)
        cell.locator(".jp-InputArea-editor").click()
        if source is not None:
            self.page.keyboard.press("Control+A")
            self.page.keyboard.insert_text(source)
        prompt = cell.locator(".jp-InputPrompt")
        before = prompt.inner_text()
        self.page.keyboard.press("Control+Enter")
        self.page.wait_for_function(
            """([el, before]) => el.textContent !== before && /\\[\\d+\\]/.test(el.textContent)""",
            arg=[prompt.element_handle(), before], timeout=timeout,
        )
        self.wait_idle(timeout)


LOCAL_HOSTS = ("127.0.0.1", "localhost")


class Watch:
    """What a page asked of other hosts (refused) and what it logged as errors."""

    def __init__(self, page) -> None:
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []  # every message, with its time: for failure reports
        self._start = time.monotonic()
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _on_console(self, message) -> None:
        self.console.append(f"{time.monotonic() - self._start:7.2f} {message.type}: "
                            f"{message.text[:300]}")
        if message.type == "error":
            self.errors.append(f"console: {message.text}")


def watched_page(browser, width: int = 1280, height: int = 900):
    """``(context, page, watch)``: a new page whose requests off localhost are refused."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    watch = Watch(page)

    def refuse_outside(route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            watch.outside.append(route.request.url)
            route.abort()

    context.route("**/*", refuse_outside)
    # how many times the page set window.Bokeh (two copies of BokehJS break a page)
    context.add_init_script("""(() => {
        let bokeh; window.__bokehSets = [];
        Object.defineProperty(window, "Bokeh", {configurable: true, get() { return bokeh; },
            set(value) { if (value !== bokeh) { window.__bokehSets.push(
                (value && value.version) + " " + new Error().stack.split("\\n")[2]); }
                bokeh = value; }});
    })()""")
    return context, page, watch


def bokeh_sets(page) -> list[str]:
    """Where the page set ``window.Bokeh`` (more than one entry: two copies of BokehJS)."""
    try:
        return page.evaluate("() => window.__bokehSets || []")
    except Exception as error:  # the page is gone: say so in the report
        return [f"unknown: {error}"]

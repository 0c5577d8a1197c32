"""Benchmark the app in notebooks: run the cell -> app usable, in JupyterLab and in Voilà.

Starts the demo server, then JupyterLab and Voilà (``tests/gui/jupyter_frontend.py``)
serving a notebook whose one cell is ``client.show()``, and measures with Debian's
Chromium (1280x900, a fresh page and a fresh kernel per run):

- JupyterLab: the notebook is open and its kernel idle; from the click on
  Run > Run All Cells until a click on "Sleep Processor" (made as soon as it is listed)
  gives a typeable Duration input. Includes procdeck's and Panel's imports in the kernel
  and sending the inline scripts, since that is what a person waits for.
- Voilà: from navigation until the same (Voilà starts a kernel and runs the notebook
  for each page, so this includes the kernel's start).
- The standalone app (``procdeck gui``), same run: navigation -> the same.

Prints medians and every run, the machine and the date.
Run: ``.venv/bin/python bench/bench_notebook.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "gui"))

from jupyter_frontend import JupyterFrontend, NotebookPage, write_notebook  # noqa: E402
from served_app import ServedApp  # noqa: E402

from procdeck.server.testing import ServerProcess  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CELL = "from procdeck import Client\nclient = Client()\nclient.show()"
TIMEOUT = 120_000


def usable_after_click(page) -> None:
    """Click "Sleep Processor" once listed; return when Duration can be typed in."""
    page.get_by_role("button", name="Sleep Processor").click(timeout=TIMEOUT)
    duration = page.get_by_label("Duration")
    duration.wait_for(state="visible", timeout=TIMEOUT)
    page.wait_for_function("el => !el.disabled", arg=duration.element_handle(),
                           timeout=TIMEOUT)


def lab_run(browser, lab: JupyterFrontend) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        notebook = NotebookPage(page, lab).open("app.ipynb")
        notebook.focus()
        started = time.perf_counter()
        notebook.menu("Run", "Run All Cells")
        usable_after_click(page)
        return time.perf_counter() - started
    finally:
        for kernel in page.request.get(f"{lab.url}/api/kernels").json():
            page.request.delete(f"{lab.url}/api/kernels/{kernel['id']}")
        context.close()


def page_run(browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(url, timeout=TIMEOUT)
        usable_after_click(page)
        return time.perf_counter() - started
    finally:
        context.close()


def measure(name: str, runs: int, once: Callable[[], float]) -> list[float]:
    once()  # warm-up: first imports, caches
    values = [once() for _ in range(runs)]
    print(f"{name:<44} median {statistics.median(values):6.2f} s   runs "
          + " ".join(f"{v:.2f}" for v in values), flush=True)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["lab", "voila", "app"], action="append",
                        help="measure only these (repeatable; default: all three)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"# {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.2f}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-notebook-"))
    try:
        with ServerProcess(store=tmp / "jobs.sqlite", data_dir=tmp / "data",
                           log_path=tmp / "server.log") as server:
            notebooks = tmp / "notebooks"
            notebooks.mkdir()
            write_notebook(notebooks / "app.ipynb", [CELL])
            env = {"PROCDECK_SERVER_URL": server.url}
            lab = JupyterFrontend("lab", notebooks, tmp / "lab", env=env).start()
            voila = JupyterFrontend("voila", notebooks, tmp / "voila", env=env).start()
            app = ServedApp(server.url, tmp / "app.log").start()
            try:
                with sync_playwright() as pw:
                    browser = pw.chromium.launch(
                        executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                        headless=True, args=CHROMIUM_ARGS)
                    only = set(args.only or ["lab", "voila", "app"])
                    if "lab" in only:
                        measure("JupyterLab: run cell -> usable form", args.runs,
                                lambda: lab_run(browser, lab))
                    if "voila" in only:
                        measure("Voila: navigation -> usable form", args.runs,
                                lambda: page_run(browser, voila.notebook_url("app.ipynb")))
                    if "app" in only:
                        measure("standalone app: navigation -> usable form", args.runs,
                                lambda: page_run(browser, app.url))
                    browser.close()
            finally:
                app.stop()
                voila.stop()
                lab.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

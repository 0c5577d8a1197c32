"""Benchmark the app in headless Chromium: how soon is a form usable?

Starts the demo server (plus the 200-input synthetic description of
``make_big_schema.py``) and ``procdeck gui`` against it, then measures with
Debian's Chromium (1280x800, a fresh browser context per run):

- navigation -> first form usable, a process click included: open the app,
  click "Sleep Processor" as soon as it is listed, until its first input can be typed in;
- click -> form usable for ``simulate_scene`` (first input typeable) and for the
  200-input description (first input typeable and the last text input rendered),
  on a settled page (the first form shown and the job table drawn);
- navigation -> job table shown (no target): the served app draws the job table
  once the page is up and no form is being drawn, so it is reported on its own.

Yardstick, same run: a bare Panel page with one text input (``bare_panel_app.py``),
navigation -> input typeable, measured the same way. The figures move with the machine's
load; the difference to the yardstick is what the app adds to Panel's own page load.

Prints the median (and every run) against the targets, plus the machine and date.
Run: ``.venv/bin/python bench/bench_app.py [--runs 7]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from procdeck.server.testing import ServerProcess, free_port

HERE = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TARGETS: dict[str, float | None] = {
    "navigation -> usable form": 1.7, "click -> simulate_scene form": 0.4,
    "click -> 200-input form": 1.5, "navigation -> job table shown": None,
    "yardstick: bare Panel page": None,
}
TIMEOUT_MS = 30_000


def machine() -> str:
    """CPU model, cores, Python and OS, for the record."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def start_app(server_url: str, log: Path,
              app_src: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = dict(os.environ)
    if app_src:  # the app of another checkout (its ``src``), to compare before and after
        env["PYTHONPATH"] = os.pathsep.join([app_src, env.get("PYTHONPATH", "")])
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "procdeck", "gui", "--server", server_url, "--port",
             str(port), "--no-browser"], stdout=out, stderr=subprocess.STDOUT, env=env)
    wait_for_page(process, url, log)
    return process, url


def usable(page, label: str) -> None:
    """Wait until the input labelled ``label`` is visible and editable."""
    from playwright.sync_api import expect

    field = page.get_by_label(label, exact=True).first
    field.wait_for(state="visible", timeout=TIMEOUT_MS)
    expect(field).to_be_editable(timeout=TIMEOUT_MS)


def navigation_to_form(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.get_by_role("button", name="Sleep Processor").click(timeout=TIMEOUT_MS)
    usable(page, "Duration")
    return time.perf_counter() - start


def job_table_shown(page) -> None:
    """Wait until the job table (a Tabulator) is drawn."""
    page.locator(".pd-right .tabulator").first.wait_for(state="visible", timeout=TIMEOUT_MS)


def navigation_to_jobs(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    job_table_shown(page)
    return time.perf_counter() - start


def click_to_form(process_button: str, first_label: str,
                  last_label: str | None = None) -> Callable[[object, str], float]:
    def measure(page, url: str) -> float:
        page.goto(url)
        page.get_by_role("button", name="Sleep Processor").click(timeout=TIMEOUT_MS)
        usable(page, "Duration")
        job_table_shown(page)
        page.wait_for_timeout(300)  # let the page settle: measure the click alone
        start = time.perf_counter()
        page.get_by_role("button", name=process_button).click()
        usable(page, first_label)
        if last_label:
            page.get_by_label(last_label, exact=True).first.wait_for(
                state="attached", timeout=TIMEOUT_MS)
        return time.perf_counter() - start

    return measure


def start_bare_page(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Serve ``bare_panel_app.py`` on a free port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, str(HERE / "bare_panel_app.py"), str(port)],
                                   stdout=out, stderr=subprocess.STDOUT)
    wait_for_page(process, url, log)
    return process, url


def wait_for_page(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{url} did not start:\n{log.read_text()}")


def bare_page_usable(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    usable(page, "Value")
    return time.perf_counter() - start


def run(runs: int, app_src: str | None = None) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="procdeck-bench-app-"))
    server = ServerProcess(
        store=work / "jobs.sqlite", data_dir=work / "data", log_path=work / "server.log",
        processes=["procdeck.demo", "app_bench_processes"],
        env={"PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])},
    )
    server.start()
    app, url = start_app(server.url, work / "app.log", app_src)
    bare, bare_url = start_bare_page(work / "bare.log")
    results: dict[str, list[float]] = {name: [] for name in TARGETS}
    measures = {
        "navigation -> usable form": navigation_to_form,
        "click -> simulate_scene form": click_to_form("Generate scene for testing",
                                                      "Variable names"),
        "click -> 200-input form": click_to_form("Big 200", "Input 0", "Input 195"),
        "navigation -> job table shown": navigation_to_jobs,
        "yardstick: bare Panel page": lambda page, _url: bare_page_usable(page, bare_url),
    }
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS)
            # one warm-up visit: Python imports and first-session costs are not what we measure
            warm = browser.new_context(viewport={"width": 1280, "height": 800})
            navigation_to_form(warm.new_page(), url)
            bare_page_usable(warm.new_page(), bare_url)
            warm.close()
            for _ in range(runs):
                for name, measure in measures.items():
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    try:
                        results[name].append(measure(context.new_page(), url))
                    finally:
                        context.close()
            version = browser.version
            browser.close()
    except Exception:
        print(f"app log ({work / 'app.log'}):\n{(work / 'app.log').read_text()[-3000:]}",
              file=sys.stderr)
        raise
    finally:
        for process in (app, bare):
            process.terminate()
            process.wait(15)
        server.stop()
    results["_chromium"] = [version]  # type: ignore[list-item]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement")
    parser.add_argument("--app-src", default=None, help="""serve the app of another
        checkout: its src directory (e.g. of `git worktree add /tmp/old <commit>`)""")
    args = parser.parse_args()
    results = run(args.runs, args.app_src)
    chromium = results.pop("_chromium")[0]
    print(f"procdeck app benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
          + (f", app from {args.app_src}" if args.app_src else ""))
    print(f"machine: {machine()}; Chromium {chromium} headless, 1280x800")
    print(f"{'measurement':32} {'median':>8} {'target':>8}  runs (s)")
    for name, times in results.items():
        median = statistics.median(times)
        target = TARGETS[name]
        runs = " ".join(f"{t:.3f}" for t in times)
        if target is None:
            print(f"{name:32} {median:7.3f}s {'-':>8}  {runs}")
        else:
            verdict = "ok" if median < target else "SLOW"
            print(f"{name:32} {median:7.3f}s {target:7.1f}s  {runs}  {verdict}")
    added = (statistics.median(results["navigation -> usable form"])
             - statistics.median(results["yardstick: bare Panel page"]))
    print(f"navigation -> usable form minus the bare Panel page: {added:.3f}s")


if __name__ == "__main__":
    main()

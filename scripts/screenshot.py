"""Make ``docs/screenshot.png``: the app at 1280x800 with a filled form and a few jobs.

Starts the demo server and ``procdeck gui`` on free ports, runs two quick jobs so
the job table has something to show, fills the form of the showcase process in
headless Chromium and saves the screenshot. Run:
``.venv/bin/python scripts/screenshot.py [--out docs/screenshot.png] [--theme dark]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from procdeck.client import Client
from procdeck.server.testing import ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def start_app(server_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``procdeck gui`` against ``server_url``; returns the process and the app URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "procdeck", "gui", "--server", server_url, "--port",
             str(port), "--no-browser"], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"procdeck gui did not start:\n{log.read_text()}")


def fill_showcase(page) -> None:
    """Pick the showcase process, fill a few of its inputs and execute it."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Every input kind").click()
    preview = page.get_by_label("Request JSON")
    for label, text, shown in (("Title", "Coastal survey, spring run", "Coastal survey"),
                               ("Count", "5", '"count": 5')):
        field = page.get_by_label(label, exact=True)
        field.fill(text)
        field.press("Tab")
        expect(preview).to_contain_text(shown, timeout=20_000)  # typed at a person's pace
    for option in ("green", "thorough"):
        page.get_by_role("radio", name=option, exact=True).check()
        expect(preview).to_contain_text(f'"{option}"', timeout=20_000)
    execute = page.get_by_role("button", name="Execute", exact=True)
    expect(execute).to_be_enabled(timeout=20_000)
    execute.click()
    expect(page.get_by_text("Started job")).to_be_visible(timeout=20_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--theme", choices=["light", "dark"], default="light")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="procdeck-screenshot-"))
    server = ServerProcess(store=work / "jobs.sqlite", data_dir=work / "data",
                           log_path=work / "server.log").start()
    app, url = start_app(server.url, work / "app.log")
    try:
        with Client(server_url=server.url) as client:
            for request in ({"min_val": 10, "max_val": 60}, {"duration": 0.5}):
                process = "primes_between" if "min_val" in request else "sleep_a_while"
                client.wait_for_job(client.execute_process(process, request).jobID, timeout=30)
            client.execute_process("sleep_a_while", {"duration": 60})
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800},
                                    device_scale_factor=1)
            page.goto(url + ("?theme=dark" if args.theme == "dark" else ""))
            fill_showcase(page)
            # the served app draws the job table shortly after the first form
            page.locator(".pd-right .tabulator-row").first.wait_for(timeout=30_000)
            page.wait_for_timeout(1500)  # let the job table poll once more
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
    finally:
        app.terminate()
        app.wait(15)
        server.stop()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

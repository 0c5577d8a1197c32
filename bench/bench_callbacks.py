"""Benchmark what callbacks cost a job: none, a quick receiver, a receiver that never answers.

Starts ``procdeck serve --callback-host 127.0.0.1`` (threads, 2 workers) and a
loopback receiver (``http.server``, threaded) that answers 204 at once, or
holds every request for 30 s without answering ("stuck"). For each case:

- 200 quick jobs (``primes_between`` up to 10) submitted at once with a
  subscriber (``successUri``, ``inProgressUri``, ``failedUri``): wall time until
  all are final (read from ``/jobs``);
- the latency of one job alone, submit -> final status (median of 30);
- for the quick receiver: how long until every success notice arrived, and
  how many notices came in all (progress notices are coalesced per job).

Prints the figures with the machine and date. Run:
``.venv/bin/python bench/bench_callbacks.py [--jobs 200] [--samples 30]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.server
import os
import platform
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from procdeck.server.testing import ServerProcess, free_port

FINAL = ("successful", "failed", "dismissed")


class Receiver:
    """A loopback HTTP receiver counting the notices it gets, quick or stuck."""

    def __init__(self, stuck: bool) -> None:
        self.stuck = stuck
        self.counts: dict[str, int] = {}
        self.last_success = 0.0
        self._lock = threading.Lock()
        self._release = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                kind = self.path.strip("/")
                with receiver._lock:
                    receiver.counts[kind] = receiver.counts.get(kind, 0) + 1
                    if kind == "success":
                        receiver.last_success = time.perf_counter()
                if receiver.stuck:
                    receiver._release.wait(30)
                    return  # no answer: the server's timeout and retries do the rest
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port("127.0.0.1")
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def subscriber(self) -> dict[str, str]:
        base = f"http://127.0.0.1:{self.port}"
        return {"successUri": f"{base}/success", "inProgressUri": f"{base}/progress",
                "failedUri": f"{base}/failed"}

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


def machine() -> str:
    """CPU model, cores, load, Python and OS, for the record."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return (f"{model}, {os.cpu_count()} cores (load {os.getloadavg()[0]:.1f} at start), "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


def submit(client: httpx.Client, subscriber: dict[str, str] | None) -> str:
    body: dict[str, Any] = {"inputs": {"min_val": 0, "max_val": 10}}
    if subscriber:
        body["subscriber"] = subscriber
    answer = client.post("/processes/primes_between/execution", json=body,
                         headers={"Prefer": "respond-async"})
    answer.raise_for_status()
    return answer.json()["jobID"]


def batch(client: httpx.Client, subscriber: dict[str, str] | None, count: int) -> float:
    """Seconds from the first submission until all ``count`` jobs are final."""
    started = time.perf_counter()
    wanted = {submit(client, subscriber) for _ in range(count)}
    while True:
        jobs = client.get("/jobs", params={"limit": 10000}).json()["jobs"]
        done = [j for j in jobs if j["jobID"] in wanted and j["status"] in FINAL]
        if len(done) == count:
            return time.perf_counter() - started
        time.sleep(0.01)


def latency(client: httpx.Client, subscriber: dict[str, str] | None, samples: int) -> float:
    """Median seconds from submitting one job to reading its final status."""
    seen = []
    for _ in range(samples):
        started = time.perf_counter()
        job_id = submit(client, subscriber)
        while client.get(f"/jobs/{job_id}").json()["status"] not in FINAL:
            time.sleep(0.002)
        seen.append(time.perf_counter() - started)
    return statistics.median(seen)


def case(name: str, jobs: int, samples: int) -> dict[str, Any]:
    """One server and (unless ``name`` is "none") one receiver; every figure of the case."""
    root = Path(tempfile.mkdtemp(prefix="procdeck-bench-callbacks-"))
    server = ServerProcess(store=":memory:", workers=2,
                           extra_args=["--callback-host", "127.0.0.1"],
                           log_path=root / "server.log")
    server.start(timeout=60)
    receiver = Receiver(stuck=name == "stuck") if name != "none" else None
    try:
        if receiver is not None:
            receiver.__enter__()
        subscriber = receiver.subscriber() if receiver else None
        with httpx.Client(base_url=server.url, timeout=60) as client:
            batch(client, subscriber, 10)  # warm-up
            started = time.perf_counter()
            wall = batch(client, subscriber, jobs)
            out: dict[str, Any] = {"wall": wall, "latency": latency(client, subscriber, samples)}
            if receiver is not None and not receiver.stuck:
                deadline = time.monotonic() + 60
                while receiver.counts.get("success", 0) < jobs + 10 + samples:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.01)
                out["notified"] = receiver.last_success - started
                out["counts"] = dict(receiver.counts)
    finally:
        server.stop()
        if receiver is not None:
            receiver.__exit__()
    return out


def main() -> None:
    """Run the three cases and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    print(f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"| receiver | {args.jobs} jobs, submit -> all final | one job, submit -> final "
          "(median) | notices |")
    print("|---|---|---|---|")
    for name in ("none", "quick", "stuck"):
        figures = case(name, args.jobs, args.samples)
        notices = ""
        if "counts" in figures:
            notices = (f"all success notices {figures['notified']:.2f} s after the first "
                       f"submission; received {figures['counts']}")
        elif name == "stuck":
            notices = "receiver never answers"
        print(f"| {name} | {figures['wall']:.2f} s | {figures['latency'] * 1000:.1f} ms | "
              f"{notices} |")


if __name__ == "__main__":
    main()

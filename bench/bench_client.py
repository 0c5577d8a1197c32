"""Benchmark the client core against the real local server.

Starts ``procdeck serve --store :memory:`` on a free loopback port (via
``procdeck.server.testing.ServerProcess``), then prints:

- the median latency of every client call, for the sync ``Client`` and the
  ``AsyncClient`` (sequential calls, one pooled connection, loopback);
- the time to parse a 1000-job ``/jobs`` document into a ``JobList`` (target < 10 ms),
  and the whole ``get_jobs()`` call for those 1000 jobs;
- the machine (cores, Python) and the date.

Run: ``.venv/bin/python bench/bench_client.py [--repeat 50]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from procdeck.client import AsyncClient, Client
from procdeck.client._protocol import Call
from procdeck.client._responses import parse_document
from procdeck.models import JobList
from procdeck.server.testing import ServerProcess

PARSE_TARGET_MS = 10.0
JOBS_FOR_PARSING = 1000


def median_ms(action: Callable[[], Any], repeat: int, warmup: int = 3) -> float:
    """The median wall time of ``action()`` in milliseconds."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


class Calls:
    """Every client method as a zero-argument callable, for one client."""

    def __init__(self, client: Any, run: Callable[[Any], Any]) -> None:
        self.client = client
        self.run = run  # identity for the sync client, run-to-completion for the async one

    def job_ids(self, count: int) -> list[str]:
        jobs = [
            self.run(self.client.execute_process("primes_between", {"max_val": 10}))
            for _ in range(count)
        ]
        for job in jobs:
            self.run(self.client.wait_for_job(job.jobID, timeout=60, poll_interval=0.01))
        return [job.jobID for job in jobs]

    def measure(self, repeat: int) -> dict[str, float]:
        c, run = self.client, self.run
        finished = self.job_ids(repeat + 3)
        to_dismiss = iter(self.job_ids(repeat + 3))
        job_id = finished[0]
        figures = {
            "get_capabilities": median_ms(lambda: run(c.get_capabilities()), repeat),
            "get_conformance": median_ms(lambda: run(c.get_conformance()), repeat),
            "get_processes": median_ms(lambda: run(c.get_processes()), repeat),
            "get_process": median_ms(lambda: run(c.get_process("simulate_scene")), repeat),
            "execute_process": median_ms(
                lambda: run(c.execute_process("primes_between", {"max_val": 10})), repeat
            ),
            "get_job": median_ms(lambda: run(c.get_job(job_id)), repeat),
            "get_job_results": median_ms(lambda: run(c.get_job_results(job_id)), repeat),
            "get_jobs(limit=10)": median_ms(lambda: run(c.get_jobs(limit=10)), repeat),
            "wait_for_job (final)": median_ms(lambda: run(c.wait_for_job(job_id)), repeat),
            "dismiss_job (finished)": median_ms(
                lambda: run(c.dismiss_job(next(to_dismiss))), repeat
            ),
            "run_process(primes)": median_ms(
                lambda: run(c.run_process("primes_between", {"max_val": 10}, timeout=60)),
                max(5, repeat // 5),
                warmup=1,
            ),
        }
        return figures


def measure_parsing(url: str, repeat: int) -> tuple[float, float, float, int]:
    """(median model parse ms, median client parse ms, median get_jobs ms, jobs) for 1000 jobs."""
    with Client(url) as client:
        have = len(client.get_jobs().jobs)
        for _ in range(max(0, JOBS_FOR_PARSING - have)):
            client.execute_process("primes_between", {"max_val": 10})
        # let every job finish so the documents have all their timestamps
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not client.get_jobs(status=["accepted", "running"]).jobs:
                break
            time.sleep(0.2)
        response = httpx.get(f"{url}/jobs", params={"limit": JOBS_FOR_PARSING})
        response.raise_for_status()
        body = response.content
        count = len(JobList.model_validate_json(body).jobs)
        model_ms = median_ms(lambda: JobList.model_validate_json(body), repeat)
        call = Call("GET", f"{url}/jobs")
        client_ms = median_ms(lambda: parse_document(call, response, JobList), repeat)
        get_jobs_ms = median_ms(lambda: client.get_jobs(limit=JOBS_FOR_PARSING), repeat // 2 or 1)
    return model_ms, client_ms, get_jobs_ms, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="samples per call (median)")
    args = parser.parse_args()

    print("procdeck client benchmark")
    print(f"date: {datetime.now(UTC).isoformat(timespec='seconds')}")
    print(
        f"machine: {os.cpu_count()} cores ({platform.machine()}), {platform.system()} "
        f"{platform.release()}; Python {sys.version.split()[0]}; httpx {httpx.__version__}"
    )
    with ServerProcess(
        store=":memory:", extra_args=["--no-access-log", "--log-level", "warning"]
    ) as server:
        print(f"server: procdeck serve --store :memory: on {server.url} (subprocess)")
        with Client(server.url) as client:
            sync_figures = Calls(client, lambda value: value).measure(args.repeat)
        loop = asyncio.new_event_loop()
        try:
            async_client = AsyncClient(server.url)
            async_figures = Calls(async_client, loop.run_until_complete).measure(args.repeat)
            loop.run_until_complete(async_client.close())
        finally:
            loop.close()

        print(f"\nmedian latency per call, ms ({args.repeat} sequential calls each, loopback)")
        print(f"{'call':<26}{'Client':>10}{'AsyncClient':>14}")
        for name, value in sync_figures.items():
            print(f"{name:<26}{value:>10.2f}{async_figures[name]:>14.2f}")

        model_ms, client_ms, get_jobs_ms, count = measure_parsing(server.url, args.repeat)
    verdict = "OK" if client_ms < PARSE_TARGET_MS else "ABOVE TARGET"
    print(f"\nparsing a {count}-job /jobs document (median of {args.repeat}):")
    print(f"  JobList.model_validate_json        {model_ms:7.2f} ms")
    print(
        f"  client parse (checks + model)      {client_ms:7.2f} ms   target < "
        f"{PARSE_TARGET_MS:.0f} ms: {verdict}"
    )
    print(f"  get_jobs() round trip, {count} jobs  {get_jobs_ms:7.2f} ms")


if __name__ == "__main__":
    main()

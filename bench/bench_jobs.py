"""Benchmark one job-table tick: fetch (GET /jobs), diff, patch, and requests per tick.

Starts a real server (own store, 16 workers) and fills it with N finished jobs
(``primes_between``) plus 10 ``sleep_a_while`` jobs (50 s) whose progress moves
every 0.5 s, so 10 jobs change between two ticks a second apart.
A :class:`JobPoller` with a sync :class:`Client` feeds a :class:`JobTable`
rendered into a Bokeh document (so patches reach real Bokeh models); each tick
is timed in phases, and every HTTP request is counted by a transport wrapper.

Reported per job count (median and p95 over the ticks):

- tick wall time: fetch + diff + patch, as the user waits for it (includes the
  server's own time to answer);
- client CPU: the Python time spent in this process (``time.thread_time``);
- fetch (HTTP + JSON + models), diff, patch (table update incl. Bokeh models);
- requests per tick (must be 1 whatever the number of jobs) and changed jobs per tick.

Run: ``.venv/bin/python bench/bench_jobs.py [--jobs 100 1000 3000] [--ticks 15]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import panel as pn
from bokeh.document import Document

from procdeck import Client
from procdeck.gui.jobs.poller import JobPoller
from procdeck.gui.jobs.table import JobTable
from procdeck.server.testing import ServerProcess

TARGET_MS = 60.0
RUNNING = 10
# 100 progress steps: one every 0.5 s, so each sleeper changes between ticks 1 s apart.
SLEEP_SECONDS = 50


class CountingTransport(httpx.HTTPTransport):
    """The real transport; counts requests."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return super().handle_request(request)


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
            f"Panel {pn.__version__}, {platform.system()} {platform.release()}")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def fill(client: Client, finished: int) -> list[str]:
    """``finished`` done jobs plus RUNNING long sleepers (all running when this returns)."""
    for _ in range(finished):
        client.execute_process("primes_between", {"max_val": 30})
    sleepers = [client.execute_process("sleep_a_while", {"duration": SLEEP_SECONDS}).jobID
                for _ in range(RUNNING)]
    deadline = time.monotonic() + 120
    while True:
        listing = client.get_jobs(limit=10_000)
        states = [job.status for job in listing.jobs]
        if states.count("running") == RUNNING and states.count("accepted") == 0:
            return sleepers
        if time.monotonic() > deadline:
            raise RuntimeError(f"jobs did not settle: {states.count('accepted')} accepted")
        time.sleep(0.2)


def bench(total: int, ticks: int, gap: float) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(
        store=Path(tmp) / "jobs.sqlite", workers=RUNNING + 6, data_dir=Path(tmp) / "data",
    ) as server:
        transport = CountingTransport()
        with Client(server.url, transport=transport) as client:
            sleepers = fill(client, total - RUNNING)
            poller = JobPoller(client)
            table = JobTable(poller)
            pn.panel(table).get_root(Document())  # real Bokeh models receive the patches
            phases: dict[str, float] = {}
            original_poll_jobs = client.poll_jobs
            original_apply = table.apply_diff

            def timed_poll_jobs(feed):
                start = time.perf_counter()
                try:
                    return original_poll_jobs(feed)
                finally:
                    phases["fetch"] = time.perf_counter() - start

            def timed_apply(diff):
                start = time.perf_counter()
                try:
                    return original_apply(diff)
                finally:
                    phases["patch"] = time.perf_counter() - start

            client.poll_jobs = timed_poll_jobs  # type: ignore[method-assign]
            table.apply_diff = timed_apply  # type: ignore[method-assign]
            first = poller.tick()
            assert len(first.new) == total, f"expected {total} new jobs, got {len(first.new)}"
            out: dict[str, list[float]] = {k: [] for k in (
                "wall", "cpu", "fetch", "diff", "patch", "requests", "changed")}
            for _ in range(ticks):
                time.sleep(gap)
                phases.clear()
                before = transport.count
                cpu, wall = time.thread_time(), time.perf_counter()
                diff = poller.tick()
                wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
                out["wall"].append(wall * 1000)
                out["cpu"].append(cpu * 1000)
                out["fetch"].append(phases.get("fetch", 0.0) * 1000)
                out["patch"].append(phases.get("patch", 0.0) * 1000)
                out["diff"].append((wall - phases.get("fetch", 0.0) - phases.get("patch", 0.0))
                                   * 1000)
                out["requests"].append(transport.count - before)
                out["changed"].append(len(diff.changed))
                assert set(diff.changed) <= set(sleepers), "only the sleepers change"
            assert len(table.job_ids) == total
            for job_id in sleepers:
                client.dismiss_job(job_id)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--ticks", type=int, default=15)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between ticks")
    args = parser.parse_args()
    print(f"bench_jobs.py  {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"machine: {machine()}")
    print(f"{RUNNING} running jobs change (progress) between ticks {args.gap:g} s apart; "
          f"{args.ticks} ticks per size; times in ms (median / p95)")
    header = (f"{'jobs':>6} {'tick wall':>15} {'client CPU':>15} {'fetch':>15} {'diff':>13} "
              f"{'patch':>13} {'req/tick':>9} {'changed/tick':>13}")
    print(header)
    verdicts = []
    for total in args.jobs:
        out = bench(total, args.ticks, args.gap)

        def fmt(key: str, width: int, out: dict[str, list[float]] = out) -> str:
            values = out[key]
            return f"{statistics.median(values):6.1f} / {p95(values):6.1f}".rjust(width)

        requests = sorted(set(int(r) for r in out["requests"]))
        changed = f"{min(out['changed']):.0f}-{max(out['changed']):.0f}"
        print(f"{total:>6} {fmt('wall', 15)} {fmt('cpu', 15)} {fmt('fetch', 15)} "
              f"{fmt('diff', 13)} {fmt('patch', 13)} {','.join(map(str, requests)):>9} "
              f"{changed:>13}")
        if total == 1000:
            wall = statistics.median(out["wall"])
            verdicts.append(f"1000 jobs: median tick {wall:.1f} ms (target < {TARGET_MS:.0f} ms):"
                            f" {'OK' if wall < TARGET_MS else 'MISSED'}")
        verdicts.append(f"{total} jobs: requests per tick {requests} "
                        f"({'OK' if requests == [1] else 'MISSED'})")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()

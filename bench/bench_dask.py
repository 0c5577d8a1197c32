"""Benchmark the thread pool against a Dask LocalCluster as the server's executor.

Starts ``procdeck serve`` twice per part: ``--workers N`` (N threads) and
``--executor dask --workers N`` (a LocalCluster of N single-threaded worker
processes started by the server), submits jobs over HTTP like any client and
waits until every job is final. Prints, with the machine and date:

- throughput of 200 ``sleep_a_while(duration=0.2)`` jobs (ideal: 200 x 0.2 s / N);
- per-job overhead: 200 near-zero jobs (``primes_between`` up to 10), as jobs/s,
  and the latency of one job alone (submit -> final, median of 30);
- a CPU-bound case the GIL serialises on threads: 40 jobs burning 0.2 s of
  pure-Python CPU each (``burn_cpu``, defined here; ideal 40 x 0.2 s / N);
- how long the server takes to start with each executor.

Run: ``.venv/bin/python bench/bench_dask.py [--workers 2] [--jobs 200]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from procdeck.server.registry import ProcessRegistry
from procdeck.server.testing import ServerProcess

HERE = Path(__file__).resolve().parent

# The bench's own process, served with --processes bench_dask (importable on workers too).
registry = ProcessRegistry()


@registry.process(id="burn_cpu")
def burn_cpu(seconds: float = 0.2) -> int:
    """Spin in pure Python until this thread has used ``seconds`` of CPU time."""
    end = time.thread_time() + seconds
    spins = 0
    while time.thread_time() < end:
        for _ in range(1000):
            spins += 1
    return spins


def machine(load: float) -> str:
    """CPU model, cores, load average, Python, OS and Dask version, for the record."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import distributed

    return (f"{model}, {os.cpu_count()} cores (load {load:.1f} at start), "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}, "
            f"dask.distributed {distributed.__version__}")


def start_server(root: Path, executor: str, workers: int) -> tuple[ServerProcess, float]:
    """A fresh server with the demo processes and ``burn_cpu``; returns it and its start time."""
    extra = ["--executor", "dask"] if executor == "dask" else []
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p)
    server = ServerProcess(
        store=":memory:", processes=["procdeck.demo", "bench_dask"], workers=workers,
        extra_args=extra, env={"PYTHONPATH": path},
        log_path=root / f"{executor}-{time.monotonic_ns()}.log",
    )
    started = time.perf_counter()
    server.start(timeout=120)
    return server, time.perf_counter() - started


def run_batch(client: httpx.Client, process_id: str, inputs: dict, count: int) -> dict:
    """Submit ``count`` jobs at once, wait until all are final; wall time and outcome."""
    started = time.perf_counter()
    ids = []
    for _ in range(count):
        answer = client.post(f"/processes/{process_id}/execution", json={"inputs": inputs},
                             headers={"Prefer": "respond-async"})
        answer.raise_for_status()
        ids.append(answer.json()["jobID"])
    submitted = time.perf_counter() - started
    wanted = set(ids)
    while True:
        jobs = client.get("/jobs", params={"processID": process_id, "limit": 10000}).json()
        mine = [job for job in jobs["jobs"] if job["jobID"] in wanted]
        if len(mine) == count and all(
            job["status"] in ("successful", "failed", "dismissed") for job in mine
        ):
            break
        time.sleep(0.01)
    wall = time.perf_counter() - started
    failed = sum(job["status"] != "successful" for job in mine)
    return {"wall": wall, "submitted": submitted, "failed": failed, "rate": count / wall}


def one_job_latency(client: httpx.Client, samples: int) -> float:
    """Median seconds from submitting one quick job to seeing it final (polled every 2 ms)."""
    latencies = []
    for _ in range(samples):
        started = time.perf_counter()
        job_id = client.post("/processes/primes_between/execution",
                             json={"inputs": {"min_val": 0, "max_val": 10}},
                             headers={"Prefer": "respond-async"}).json()["jobID"]
        while client.get(f"/jobs/{job_id}").json()["status"] not in ("successful", "failed"):
            time.sleep(0.002)
        latencies.append(time.perf_counter() - started)
    return statistics.median(latencies)


def bench(executor: str, workers: int, jobs: int, cpu_jobs: int, samples: int) -> dict:
    """Every measurement on one executor (one server per executor)."""
    root = Path(tempfile.mkdtemp(prefix="procdeck-bench-dask-"))
    server, startup = start_server(root, executor, workers)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            run_batch(client, "primes_between", {"max_val": 10}, 10)  # warm-up
            sleepers = run_batch(client, "sleep_a_while", {"duration": 0.2}, jobs)
            quick = run_batch(client, "primes_between", {"min_val": 0, "max_val": 10}, jobs)
            latency = one_job_latency(client, samples)
            cpu = run_batch(client, "burn_cpu", {"seconds": 0.2}, cpu_jobs)
    finally:
        server.stop()
    return {"startup": startup, "sleep": sleepers, "quick": quick, "latency": latency,
            "cpu": cpu}


def main() -> None:
    """Measure both executors and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="threads / worker processes")
    parser.add_argument("--jobs", type=int, default=200, help="jobs per batch")
    parser.add_argument("--cpu-jobs", type=int, default=40, help="CPU-bound jobs")
    parser.add_argument("--samples", type=int, default=30, help="single-job latencies")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    load = os.getloadavg()[0]  # other work on the machine skews every figure: say how much
    results = {name: bench(name, args.workers, args.jobs, args.cpu_jobs, args.samples)
               for name in ("threads", "dask")}

    n = args.workers
    print(f"procdeck executor benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"machine: {machine(load)}")
    print(f"executors: a pool of {n} threads vs a Dask LocalCluster of {n} single-threaded "
          f"worker processes (started by procdeck serve --executor dask --workers {n})")
    ideal_sleep = args.jobs * 0.2 / n
    ideal_cpu = args.cpu_jobs * 0.2 / n
    rows = [
        ("server start-up", lambda r: f"{r['startup']:.2f} s"),
        (f"{args.jobs} x sleep_a_while(0.2 s), ideal {ideal_sleep:.1f} s",
         lambda r: f"{r['sleep']['wall']:.2f} s ({r['sleep']['rate']:.1f} jobs/s, "
                   f"{ideal_sleep / r['sleep']['wall']:.0%} of ideal)"),
        (f"{args.jobs} x primes_between (near-zero work)",
         lambda r: f"{r['quick']['wall']:.2f} s ({r['quick']['rate']:.0f} jobs/s, "
                   f"{1000 * r['quick']['wall'] / args.jobs:.1f} ms per job)"),
        ("one quick job alone, submit -> final (median)",
         lambda r: f"{1000 * r['latency']:.1f} ms"),
        (f"{args.cpu_jobs} x burn_cpu(0.2 s CPU), ideal {ideal_cpu:.1f} s",
         lambda r: f"{r['cpu']['wall']:.2f} s ({ideal_cpu / r['cpu']['wall']:.0%} of ideal)"),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"{'':{width}}  {'threads':<36}  dask")
    for label, show in rows:
        print(f"{label:{width}}  {show(results['threads']):<36}  {show(results['dask'])}")
    failed = {name: sum(r[part]["failed"] for part in ("sleep", "quick", "cpu"))
              for name, r in results.items()}
    print(f"failed jobs: threads {failed['threads']}, dask {failed['dask']}")
    t, d = results["threads"], results["dask"]
    overhead = (d["quick"]["wall"] - t["quick"]["wall"]) / args.jobs * 1000 * n
    print(f"Dask's extra cost per job (near-zero jobs, x{n} workers): {overhead:.1f} ms; "
          f"single-job latency {1000 * (d['latency'] - t['latency']):+.1f} ms")


if __name__ == "__main__":
    main()

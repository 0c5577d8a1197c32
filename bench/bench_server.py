"""Benchmark the local server with wrk: submissions/s, status reads/s, /jobs latency.

Starts ``procdeck serve`` itself (a fresh SQLite store per part, access log off),
drives it with ``wrk`` (16 connections, 2 threads; a Lua script for the POST
body) and prints:

- submissions per second of a quick process (``primes_between``, async);
- ``GET /jobs/{id}`` reads per second with 1000 jobs stored (random ids);
- ``GET /jobs`` latency (median and p90 of N sequential requests) listing 1000 jobs;
- as a yardstick, POST/s of a bare FastAPI endpoint measured the same way (timings
  on a shared machine drift; the ratio says more than the absolute figure);

plus the machine and date. Run: ``.venv/bin/python bench/bench_server.py [--duration 10]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from procdeck.server.testing import ServerProcess, free_port

HERE = Path(__file__).resolve().parent
WRK_DIR = HERE / "wrk"
TARGETS = {"submissions/s": 750.0, "status reads/s": 1200.0, "/jobs median ms": 20.0}


def machine() -> str:
    """CPU model, cores, Python and OS, for the record."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def run_wrk(url: str, duration: float, connections: int, script: Path | None,
            script_args: list[str] | None = None) -> dict[str, float]:
    """Run wrk and parse requests/s, latency and error counts from its report."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration:g}s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    return {
        "rps": rps,
        "requests": total,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
        "p50_ms": _ms(p50.group(1), p50.group(2)) if p50 else float("nan"),
    }


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wait_all_final(client: httpx.Client, expected: int, timeout: float = 120.0) -> None:
    """Wait until the server lists ``expected`` jobs, all finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = client.get("/jobs", params={"limit": 10000}).json()["jobs"]
        if len(jobs) >= expected and all(
            j["status"] in ("successful", "failed", "dismissed") for j in jobs
        ):
            return
        time.sleep(0.2)
    raise TimeoutError("jobs did not finish in time")


def bench_submissions(root: Path, duration: float, connections: int) -> dict[str, float]:
    """Submissions/s of primes_between (async, fresh store)."""
    with ServerProcess(store=root / "submit.sqlite", data_dir=root / "data",
                       log_path=root / "submit.log") as server:
        url = f"{server.url}/processes/primes_between/execution"
        run_wrk(url, 2, connections, WRK_DIR / "submit.lua")  # warm-up
        result = run_wrk(url, duration, connections, WRK_DIR / "submit.lua")
        with httpx.Client(base_url=server.url, timeout=30) as client:
            wait_all_final(client, 1, timeout=300)
            listed = len(client.get("/jobs", params={"limit": 10000}).json()["jobs"])
            stats = client.get("/jobs", params={"status": "failed", "limit": 10}).json()
        result["jobs_listed_first_page"] = listed
        result["failed_jobs"] = len(stats["jobs"])
        return result


BARE_APP = """
import sys
import uvicorn
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/echo", status_code=201)
async def echo(request: Request) -> dict:
    return {"received": await request.json()}


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=False, log_level="warning")
"""


def bench_bare(duration: float, connections: int) -> dict[str, float]:
    """POST/s of a bare FastAPI endpoint on this machine now: the yardstick for the rest."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", BARE_APP, str(port)])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(f"http://127.0.0.1:{port}/echo", json={}, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/echo"
        run_wrk(url, 2, connections, WRK_DIR / "submit.lua")
        return run_wrk(url, duration, connections, WRK_DIR / "submit.lua")
    finally:
        process.terminate()
        process.wait(10)


def bench_reads(root: Path, duration: float, connections: int, samples: int) -> dict[str, float]:
    """Status reads/s and /jobs latency with 1000 jobs stored."""
    with ServerProcess(store=root / "reads.sqlite", data_dir=root / "data",
                       log_path=root / "reads.log") as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for _ in range(1000):
                response = client.post(
                    "/processes/primes_between/execution",
                    json={"inputs": {"min_val": 0, "max_val": 50}},
                    headers={"Prefer": "respond-async"},
                )
                response.raise_for_status()
            wait_all_final(client, 1000)
            for _ in range(5):  # warm-up
                client.get("/jobs")
            timings = []
            size = 0
            for _ in range(samples):
                start = time.perf_counter()
                response = client.get("/jobs")
                body = response.read()
                timings.append((time.perf_counter() - start) * 1000)
                size = len(body)
            count = len(response.json()["jobs"])
        reads = run_wrk(server.url + "/", duration, connections, WRK_DIR / "status.lua",
                        ["0", "1000"])
        timings.sort()
        return {
            "reads": reads,
            "jobs_median_ms": statistics.median(timings),
            "jobs_p90_ms": timings[int(0.9 * (len(timings) - 1))],
            "jobs_count": count,
            "jobs_bytes": size,
        }


def main() -> None:
    """Run both parts and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--samples", type=int, default=50, help="GET /jobs requests timed")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip measuring a bare FastAPI endpoint for comparison")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_server.py needs wrk (apt-get install wrk)")
    root = Path(tempfile.mkdtemp(prefix="procdeck-bench-"))
    try:
        bare = None if args.no_baseline else bench_bare(args.duration, args.connections)
        submit = bench_submissions(root, args.duration, args.connections)
        reads = bench_reads(root, args.duration, args.connections, args.samples)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"procdeck server benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"machine: {machine()}")
    print(f"wrk: 2 threads, {args.connections} connections, {args.duration:g} s per run")
    print(f"submissions/s (primes_between, Prefer: respond-async): {submit['rps']:.0f} "
          f"[target >= {TARGETS['submissions/s']:.0f}] "
          f"(p50 {submit['p50_ms']:.2f} ms, {submit['requests']} requests, "
          f"non-2xx {submit['non2xx']}, failed jobs {submit['failed_jobs']}) "
          f"{submit['socket_errors']}")
    if bare is not None:
        print(f"yardstick: a bare FastAPI POST endpoint answers {bare['rps']:.0f} requests/s "
              f"here now (submissions are {submit['rps'] / bare['rps']:.0%} of that)")
    r = reads["reads"]
    print(f"status reads/s (GET /jobs/{{id}}, 1000 jobs stored): {r['rps']:.0f} "
          f"[target >= {TARGETS['status reads/s']:.0f}] "
          f"(p50 {r['p50_ms']:.2f} ms, non-2xx {r['non2xx']}) {r['socket_errors']}")
    print(f"GET /jobs latency, {reads['jobs_count']} jobs ({reads['jobs_bytes'] / 1024:.0f} KiB): "
          f"median {reads['jobs_median_ms']:.2f} ms, p90 {reads['jobs_p90_ms']:.2f} ms "
          f"over {args.samples} requests [target median < {TARGETS['/jobs median ms']:.0f} ms]")


if __name__ == "__main__":
    main()

"""Benchmark results as data: a lazy remote Zarr and a streamed 500 MB download.

Starts the real server (demo processes plus this folder's ``results_bench_processes``)
on a free loopback port, then prints:

- the time from ``client.open_job_result(job, "cube")`` to an ``xarray.Dataset`` object for
  a ~200 MB Zarr result served over HTTP (median of fresh clients), the bytes and requests
  transferred before any data is used, and the time to read all of it afterwards;
- the peak memory (peak RSS, VmHWM) of a client process downloading a 500 MB result with
  ``download_job_result``, beside the same process downloading 50 MB (flat = streaming);
- the machine and the date.

Run: ``.venv/bin/python bench/bench_results.py [--zarr-mb 200] [--file-mb 500]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from procdeck.client import Client
from procdeck.server.testing import ServerProcess

HERE = Path(__file__).resolve().parent

_MEASURE = """
import sys, time
from procdeck.client import Client

def peak_kib():  # VmHWM: this process's peak RSS (ru_maxrss would carry the parent's over exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

with Client(sys.argv[1]) as client:
    client.get_capabilities()  # imports and a connection, before the baseline
    base = peak_kib()
    start = time.perf_counter()
    [path] = client.download_job_result(sys.argv[2], None, sys.argv[3], progress=False).values()
    took = time.perf_counter() - start
    peak = peak_kib()
print(base, peak, path.stat().st_size, took)
"""


def run_job(client: Client, process: str, inputs: dict) -> str:
    job = client.execute_process(process, {"inputs": inputs, "response": "document"})
    return client.wait_for_job(job.jobID, timeout=900).jobID


def lazy_zarr(url: str, job_id: str, repeat: int) -> None:
    from procdeck.client import _zarr_http

    stores: list[_zarr_http.HttpZarrStore] = []
    made = _zarr_http.HttpZarrStore.__init__

    def remember(self, *args, **kwargs):  # count what each store transfers
        made(self, *args, **kwargs)
        stores.append(self)

    _zarr_http.HttpZarrStore.__init__ = remember  # type: ignore[method-assign]
    times, before, requests = [], [], []
    for _ in range(repeat):
        with Client(url) as client:
            start = time.perf_counter()
            dataset = client.open_job_result(job_id, "cube", wait=False)
            times.append(time.perf_counter() - start)
            before.append(stores[-1].bytes_read)
            requests.append(stores[-1].requests)
    with Client(url) as client:
        dataset = client.open_job_result(job_id, "cube", wait=False)
        start = time.perf_counter()
        total = sum(dataset[name].values.nbytes for name in dataset.data_vars)
        load = time.perf_counter() - start
    print(f"  open_job_result -> xarray.Dataset: median {statistics.median(times) * 1000:.0f} ms "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, n={repeat})")
    print(f"  transferred before first access: {statistics.median(before) / 1024:.1f} KiB in "
          f"{statistics.median(requests):.0f} requests")
    print(f"  then reading all {total / 1e6:.0f} MB of values: {load:.1f} s "
          f"({stores[-1].bytes_read / 1e6:.0f} MB transferred, {stores[-1].requests} requests)")


def download_memory(url: str, job_id: str, out: Path) -> tuple[int, int, int, float]:
    done = subprocess.run([sys.executable, "-c", _MEASURE, url, job_id, str(out)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the download process failed:\n{done.stderr}")
    base, peak, size, took = done.stdout.split()
    return int(base), int(peak), int(size), float(took)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--zarr-mb", type=float, default=200)
    parser.add_argument("--file-mb", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"# bench_results  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data",
                               log_path=root / "server.log",
                               processes=["procdeck.demo", "results_bench_processes"],
                               env={"PYTHONPATH": str(HERE)})
        server.start(timeout=120)
        try:
            with Client(server.url) as client:
                zarr_job = run_job(client, "sample_zarr", {"megabytes": args.zarr_mb})
                big = run_job(client, "bench_blob", {"megabytes": args.file_mb})
                small = run_job(client, "bench_blob", {"megabytes": args.file_mb // 10})
            size = sum(p.stat().st_size for p in (root / "data" / zarr_job).rglob("*")
                       if p.is_file())
            print(f"Zarr result over HTTP ({size / 1e6:.0f} MB on disk):")
            lazy_zarr(server.url, zarr_job, args.repeat)
            print("Download to a file (a separate client process, peak RSS):")
            for job_id in (small, big):
                base, peak, got, took = download_memory(server.url, job_id, root / job_id)
                print(f"  {got / 1e6:.0f} MB: peak RSS {base / 1024:.0f} MiB before, "
                      f"{peak / 1024:.0f} MiB after (+{(peak - base) / 1024:.1f} MiB), "
                      f"{took:.1f} s, {got / took / 1e6:.0f} MB/s")
        finally:
            server.stop()


if __name__ == "__main__":
    main()

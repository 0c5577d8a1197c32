"""A process for bench_results.py: a file of N MB (random bytes) served by link."""

from __future__ import annotations

import os

from procdeck.server.context import JobContext
from procdeck.server.registry import ProcessRegistry

registry = ProcessRegistry()


@registry.process(id="bench_blob", title="Benchmark blob")
def bench_blob(ctx: JobContext, megabytes: int = 10) -> dict:
    """Write ``megabytes`` MB of random bytes and return a link to them."""
    path = ctx.job_dir / "blob.bin"
    chunk = os.urandom(1 << 20)
    with path.open("wb") as out:
        for _ in range(megabytes):
            out.write(chunk)
    return ctx.file_link("blob.bin", "application/octet-stream")

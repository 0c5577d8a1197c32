"""300 concurrent submissions: no job lost, none duplicated, every result right."""

from __future__ import annotations

import asyncio
import math
from concurrent.futures import ThreadPoolExecutor

import pytest

from procdeck import AsyncClient, Client
from procdeck.models import JobStatus

pytestmark = pytest.mark.integration

SUBMISSIONS = 300


def primes(low: int, high: int) -> list[int]:
    return [n for n in range(max(2, low), high + 1)
            if all(n % d for d in range(2, math.isqrt(n) + 1))]


def inputs_for(index: int) -> dict[str, int]:
    return {"min_val": index % 40, "max_val": 40 + index % 60}


def check_all_jobs(client: Client, submitted: dict[str, int]) -> None:
    assert len(submitted) == SUBMISSIONS  # no id handed out twice
    listed = client.get_jobs(process_id="primes_between").jobs
    assert sorted(j.jobID for j in listed) == sorted(submitted)  # none lost, none extra
    for job_id, index in submitted.items():
        final = client.wait_for_job(job_id, timeout=60, poll_interval=0.05)
        assert final.status == JobStatus.SUCCESSFUL, final
        asked = inputs_for(index)
        expected = primes(asked["min_val"], asked["max_val"])
        assert client.get_job_results(job_id).value("return_value") == expected


def test_300_concurrent_submissions_from_threads(server_factory):
    server = server_factory(store=":memory:")
    with Client(server.url) as client:

        def submit(index: int) -> tuple[str, int]:
            return client.execute_process("primes_between", inputs_for(index)).jobID, index

        with ThreadPoolExecutor(max_workers=32) as pool:
            submitted = dict(pool.map(submit, range(SUBMISSIONS)))
        check_all_jobs(client, submitted)


async def test_300_concurrent_submissions_from_one_async_client(server_factory):
    server = server_factory(store=":memory:")
    async with AsyncClient(server.url) as client:
        jobs = await asyncio.gather(*(
            client.execute_process("primes_between", inputs_for(i)) for i in range(SUBMISSIONS)
        ))
    submitted = {job.jobID: index for index, job in enumerate(jobs)}
    with Client(server.url) as sync_client:
        check_all_jobs(sync_client, submitted)

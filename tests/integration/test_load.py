"""500 concurrent submissions mixed with dismissals, status reads and job-list reads.

The real server (SQLite file store, 4 workers) and the real async client: no job
is lost, none is listed twice, no id is handed out twice or reused, every job
ends final, results are right, dismissed jobs answer as documented.
"""

from __future__ import annotations

import asyncio
import math
import random

import pytest

from procdeck import AsyncClient
from procdeck.client import HTTPStatusError, NoSuchJobError
from procdeck.models import JobInfo, JobStatus

pytestmark = pytest.mark.integration

SUBMISSIONS = 500
DISMISS_EVERY = 5
READERS = 8


def primes(high: int) -> list[int]:
    return [n for n in range(2, high + 1) if all(n % d for d in range(2, math.isqrt(n) + 1))]


def request_for(index: int) -> tuple[str, dict]:
    if index % 10 < 7:
        return "primes_between", {"min_val": 0, "max_val": index % 101}
    return "sleep_a_while", {"duration": 0.05 + (index % 7) * 0.05}


async def test_500_concurrent_submissions_with_dismissals_and_reads(server_factory, tmp_path):
    server = server_factory(store=tmp_path / "jobs.sqlite", workers=4)
    submitted: dict[str, int] = {}
    removed: set[str] = set()
    dismissed_live: set[str] = set()
    list_reads = 0
    status_reads = 0
    finished = asyncio.Event()

    async with AsyncClient(server.url, timeout=60) as client, \
            AsyncClient(server.url, timeout=60) as reader:

        async def submit(index: int) -> JobInfo:
            process, inputs = request_for(index)
            job = await client.execute_process(process, inputs)
            assert job.jobID not in submitted, f"{job.jobID} handed out twice"
            submitted[job.jobID] = index
            if index % DISMISS_EVERY == 0:
                answer = await client.dismiss_job(job.jobID)
                assert answer.status == JobStatus.DISMISSED
                # A finished job is removed; an accepted or running one stays, dismissed.
                (removed if answer.message == "Job removed" else dismissed_live).add(job.jobID)
            return job

        async def read_lists() -> None:
            nonlocal list_reads, status_reads
            rng = random.Random(len(submitted))
            while not finished.is_set():
                jobs = (await reader.get_jobs()).jobs
                ids = [job.jobID for job in jobs]
                assert len(ids) == len(set(ids)), "a job listed twice"
                numbers = [int(i.removeprefix("job_")) for i in ids]
                assert numbers == sorted(numbers), "the list is not in creation order"
                list_reads += 1
                if ids:
                    job_id = rng.choice(ids)
                    try:
                        await reader.get_job(job_id)
                        status_reads += 1
                    except NoSuchJobError:
                        assert job_id in removed or job_id in submitted  # removed meanwhile
                await asyncio.sleep(0)

        readers = [asyncio.create_task(read_lists()) for _ in range(READERS)]
        jobs = await asyncio.gather(*(submit(i) for i in range(SUBMISSIONS)))
        finished.set()
        await asyncio.gather(*readers)

        ids = [job.jobID for job in jobs]
        assert len(set(ids)) == SUBMISSIONS == len(submitted)
        assert list_reads >= READERS and status_reads > 0
        # Every job ends final; results are right; dismissed jobs have none.
        outcome: dict[str, JobStatus] = {}
        for job_id, index in submitted.items():
            if job_id in removed:
                with pytest.raises(NoSuchJobError):
                    await client.get_job(job_id)
                continue
            final = await client.wait_for_job(job_id, timeout=120, poll_interval=0.05)
            outcome[job_id] = final.status
            if job_id in dismissed_live:
                assert final.status == JobStatus.DISMISSED
                with pytest.raises(HTTPStatusError) as gone:
                    await client.get_job_results(job_id)
                assert gone.value.status == 410
                continue
            assert final.status == JobStatus.SUCCESSFUL, final
            process, inputs = request_for(index)
            if process == "primes_between":
                results = await client.get_job_results(job_id)
                assert results.value("return_value") == primes(inputs["max_val"])
        listed = {job.jobID: job for job in (await client.get_jobs()).jobs}
        assert set(listed) == set(submitted) - removed  # none lost, none extra
        assert all(job.is_final for job in listed.values())
        assert len(removed) + len(dismissed_live) == SUBMISSIONS // DISMISS_EVERY
        # Numbers move on past every job ever made, removed ones included.
        print(f"load: {SUBMISSIONS} submissions, {len(removed)} removed and "
              f"{len(dismissed_live)} stopped by dismissal, {list_reads} job lists and "
              f"{status_reads} status reads meanwhile")  # the figures, with pytest -s
        later = await client.execute_process("primes_between", {})
        highest = max(int(i.removeprefix("job_")) for i in submitted)
        assert int(later.jobID.removeprefix("job_")) > highest

"""Acknowledged means committed: ``JobStore.committed()`` waits for the writer's commit."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from procdeck.server.store import JobStore, StoreWriteError


def row(seq: int, status: str = "accepted") -> tuple:
    return (seq, f"job_{seq}", "p", status, "2025-01-01T00:00:00.000000Z", None, None, None,
            None, None, "{}", None, None)


def committed_ids(path: Path) -> set[str]:
    # A second connection sees only what was committed (WAL readers never see pending writes).
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT id FROM jobs")}


async def test_committed_returns_once_another_connection_sees_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    store = JobStore(path, commit_interval=0.5)  # a long linger: only a waiter cuts it short
    try:
        store.put(row(0))
        store.put(row(1))
        started = time.monotonic()
        await store.committed()
        assert time.monotonic() - started < 0.4  # the writer did not linger for a waiter
        assert committed_ids(path) == {"job_0", "job_1"}
        await store.committed()  # nothing pending: returns at once
    finally:
        store.close()


async def test_many_concurrent_waiters_are_all_woken(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    store = JobStore(path)
    try:
        async def submit(seq: int) -> int:
            store.put(row(seq))
            await store.committed()
            return seq

        done = await asyncio.wait_for(asyncio.gather(*(submit(i) for i in range(300))), 30)
        assert sorted(done) == list(range(300))
        assert len(committed_ids(path)) == 300
    finally:
        store.close()


async def test_a_failed_commit_is_reported_to_its_waiters(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    store = JobStore(path)
    try:
        store.put((0, "job_0", None, *row(0)[3:]))  # process_id NULL violates NOT NULL
        with pytest.raises(StoreWriteError, match="could not save"):
            await store.committed()
        store.put(row(1))
        await store.committed()  # the writer lives on
        assert committed_ids(path) == {"job_1"}
    finally:
        store.close()


async def test_an_in_memory_store_does_not_wait() -> None:
    store = JobStore(":memory:", commit_interval=5.0)
    try:
        store.put(row(0))
        started = time.monotonic()
        await store.committed()
        assert time.monotonic() - started < 0.5
        assert not store.durable
    finally:
        store.close()

"""JobStore: durable rows, group commits, deletes, job numbers never reused."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from procdeck.server.store import UNCLEAN_GAP, JobRow, JobStore


def row(
    seq: int,
    status: str = "accepted",
    *,
    results: str | None = None,
    request: str | None = '{"inputs": {}}',
    progress: int | None = None,
) -> JobRow:
    return (
        seq,
        f"job_{seq}",
        "primes_between",
        status,
        "2025-01-01T00:00:00.000000Z",
        None,
        None,
        "2025-01-01T00:00:00.000000Z",
        progress,
        None,
        request,
        None,
        results,
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "jobs.sqlite"


def raw_rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT seq, status, progress, request, results FROM jobs ORDER BY seq"
        ).fetchall()


def test_rows_survive_close_and_reopen(path):
    store = JobStore(path)
    assert store.first_number == 0
    store.put(row(0))
    store.put(row(1, "successful", results='{"return_value": [2, 3]}'))
    store.close()
    again = JobStore(path)
    loaded = again.load()
    assert [(j.id, j.status, j.has_results) for j in loaded] == [
        ("job_0", "accepted", False),
        ("job_1", "successful", True),
    ]
    assert json.loads(again.load_results(1)) == {"return_value": [2, 3]}
    assert json.loads(again.load_request(0)) == {"inputs": {}}
    again.close()


def test_latest_row_wins_and_a_commit_groups_many_changes(path):
    store = JobStore(path, commit_interval=0.05)
    for progress in range(50):
        store.put(row(7, "running", progress=progress))
    store.put(row(8))
    assert store.flush(5)
    assert raw_rows(path) == [
        (7, "running", 49, '{"inputs": {}}', None),
        (8, "accepted", None, '{"inputs": {}}', None),
    ]
    store.close()


def test_writes_are_behind_but_flush_makes_them_durable(path):
    store = JobStore(path, commit_interval=0.2)
    store.put(row(0))
    assert raw_rows(path) == []  # still lingering in the writer
    assert store.flush(5)
    assert [r[0] for r in raw_rows(path)] == [0]
    store.close()


def test_rows_without_request_or_results_keep_the_stored_ones(path):
    store = JobStore(path)
    store.put(row(3, "successful", results='{"r": 1}', request='{"inputs": {"a": 1}}'))
    store.flush()
    store.put(row(3, "successful", results=None, request=None))  # e.g. a job loaded at start
    store.flush()
    assert raw_rows(path) == [(3, "successful", None, '{"inputs": {"a": 1}}', '{"r": 1}')]
    store.close()


def test_delete_removes_the_row_but_not_its_number(path):
    store = JobStore(path)
    store.put(row(0))
    store.put(row(1))
    store.flush()
    store.delete(1)
    store.close()
    again = JobStore(path)
    assert [j.id for j in again.load()] == ["job_0"]
    assert again.first_number == 2  # job_1 was deleted, its number stays used
    again.close()


def test_a_put_and_delete_in_one_commit_leaves_nothing(path):
    store = JobStore(path, commit_interval=0.1)
    store.put(row(5))
    store.delete(5)
    store.close()
    assert raw_rows(path) == []
    assert JobStore(path).first_number == 6


def test_after_an_unclean_shutdown_numbering_skips_ahead(path):
    store = JobStore(path)
    store.put(row(0))
    store.flush()
    # no close(): as if the server was killed
    again = JobStore(path)
    assert again.unclean_start
    assert again.first_number == 1 + UNCLEAN_GAP
    again.close()
    third = JobStore(path)
    assert not third.unclean_start
    assert third.first_number == 1 + UNCLEAN_GAP
    third.close()


def test_memory_store_works_and_forgets(tmp_path):
    store = JobStore(":memory:")
    store.put(row(0, "successful", results='{"x": 1}'))
    assert store.flush()
    assert [j.id for j in store.load()] == ["job_0"]
    assert store.load_results(0) == '{"x": 1}'
    store.close()
    assert JobStore(":memory:").load() == []


def test_wal_mode_and_put_after_close_is_refused(path):
    store = JobStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.put(row(1))


def test_a_failing_write_is_logged_and_the_writer_keeps_going(path, caplog):
    store = JobStore(path)
    bad = (*row(1)[:4], None, *row(1)[5:])  # created NOT NULL
    store.put(bad)  # type: ignore[arg-type]
    assert store.flush()
    assert isinstance(store.last_error, sqlite3.IntegrityError)
    assert "could not save" in caplog.text
    store.put(row(2))
    assert store.flush()
    assert [r[0] for r in raw_rows(path)] == [2]
    store.close()

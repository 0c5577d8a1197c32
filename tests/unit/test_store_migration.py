"""A job store file of schema version 1 (before callbacks) opens, keeps its jobs, migrates."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from procdeck.server.store import SCHEMA_VERSION, JobStore

# The tables exactly as a version-1 store made them.
V1_TABLES = (
    "CREATE TABLE jobs (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
    "process_id TEXT NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL, "
    "started TEXT, finished TEXT, updated TEXT, progress INTEGER, message TEXT, "
    "request TEXT, error TEXT, results TEXT)",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


def make_v1_store(path: Path, version: str = "1") -> None:
    db = sqlite3.connect(path)
    with db:
        for statement in V1_TABLES:
            db.execute(statement)
        db.executemany("INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", [
            (0, "job_0", "primes_between", "successful", "2025-01-01T00:00:00.000000Z",
             "2025-01-01T00:00:01.000000Z", "2025-01-01T00:00:02.000000Z",
             "2025-01-01T00:00:02.000000Z", 100, "Done", '{"inputs": {}}', None,
             '{"primes": [2, 3]}'),
            (1, "job_1", "sleep_a_while", "failed", "2025-01-01T00:01:00.000000Z",
             None, "2025-01-01T00:01:02.000000Z", "2025-01-01T00:01:02.000000Z", None,
             "Boom", "{}", '{"title": "Job failed", "detail": "Boom"}', None),
        ])
        db.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("schema_version", version), ("next_number", "2"), ("clean", "1")])
    db.close()


def test_a_version_1_store_opens_keeps_its_jobs_and_migrates(tmp_path):
    path = tmp_path / "jobs.sqlite"
    make_v1_store(path)
    store = JobStore(path, commit_interval=0)
    try:
        jobs = store.load()
        assert [(j.id, j.status, j.has_results) for j in jobs] == [
            ("job_0", "successful", True), ("job_1", "failed", False)]
        assert store.load_results(0) == '{"primes": [2, 3]}'
        assert store.first_number == 2
        store.add_callback_attempt(0, "success", "http://127.0.0.1/x", 1,
                                   "2025-01-01T00:00:03.000000Z", 200, None)
        assert store.callback_attempts(0) == [{
            "kind": "success", "uri": "http://127.0.0.1/x", "attempt": 1,
            "time": "2025-01-01T00:00:03.000000Z", "status": 200, "error": None,
            "delivered": True}]
    finally:
        store.close()
    db = sqlite3.connect(path)
    version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    db.close()
    assert version == SCHEMA_VERSION == "2"
    again = JobStore(path, commit_interval=0)  # a migrated store opens as it is
    try:
        assert [j.id for j in again.load()] == ["job_0", "job_1"]
        assert len(again.callback_attempts(0)) == 1
        again.delete(0)  # removing a job removes its callback attempts
        assert again.flush()
        assert again.callback_attempts(0) == []
    finally:
        again.close()


def test_a_store_of_an_unknown_version_is_refused(tmp_path):
    path = tmp_path / "jobs.sqlite"
    make_v1_store(path, version="99")
    with pytest.raises(RuntimeError, match="schema 99"):
        JobStore(path)


def test_attempts_cannot_be_recorded_once_the_store_is_closed():
    store = JobStore(":memory:")
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.add_callback_attempt(0, "success", "http://x/", 1, "t", None, "e")

"""The SQLite job store: durable jobs and results, written behind by one thread.

The job manager keeps live job state in memory and hands every change to
:meth:`JobStore.put` as a complete row. A single writer thread commits what
accumulated since its last commit in one transaction (group commit), keeping
only the newest row per job, so a job that is created, started and finished
within one commit window costs one row write.

Acknowledgements wait for the commit (:meth:`JobStore.committed`): the server
answers a submission or a dismissal only once its row is in the WAL, so killing
the server loses nothing it acknowledged; changes in between (progress, a
finish not yet committed) may be lost and are repaired at the next start. WAL
with ``synchronous=NORMAL`` keeps commits cheap; after a power loss the last
commits may be lost too. Job numbers are never reused: the next number is stored with
every commit, and after an unclean shutdown numbering resumes
:data:`UNCLEAN_GAP` past it, above any number handed out but not committed.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["UNCLEAN_GAP", "JobRow", "JobStore", "StoreWriteError", "StoredJob"]

log = logging.getLogger("procdeck.server")

UNCLEAN_GAP = 1000
"""How far job numbering skips ahead after a crash (numbers may have been handed out unsaved)."""

SCHEMA_VERSION = "2"
"""Version 2 added the ``callbacks`` table (delivery attempts); version 1 stores migrate."""

_CALLBACKS_TABLE = (
    "CREATE TABLE IF NOT EXISTS callbacks (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "seq INTEGER NOT NULL, kind TEXT NOT NULL, uri TEXT NOT NULL, attempt INTEGER NOT NULL, "
    "time TEXT NOT NULL, status INTEGER, error TEXT)"
)
_CALLBACKS_INDEX = "CREATE INDEX IF NOT EXISTS callbacks_seq ON callbacks (seq)"


def _migrate_1_to_2(db: sqlite3.Connection) -> None:
    """Version 1 -> 2: add the callback attempts table (jobs are kept as they are)."""
    db.execute(_CALLBACKS_TABLE)
    db.execute(_CALLBACKS_INDEX)


_MIGRATIONS: dict[str, tuple[str, Callable[[sqlite3.Connection], None]]] = {
    "1": ("2", _migrate_1_to_2),
}
"""schema version -> (the next version, the step that gets there)."""

# seq, id, process_id, status, created, started, finished, updated, progress, message,
# request (JSON text), error (JSON text), results (JSON text)
JobRow = tuple[
    int, str, str, str, str, str | None, str | None, str | None, int | None, str | None,
    str | None, str | None, str | None,
]

_COLUMNS = (
    "seq", "id", "process_id", "status", "created", "started", "finished", "updated",
    "progress", "message", "request", "error", "results",
)
_UPSERT = (
    f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT(seq) DO UPDATE SET status=excluded.status, started=excluded.started, "
    "finished=excluded.finished, updated=excluded.updated, progress=excluded.progress, "
    "message=excluded.message, error=excluded.error, "
    # Jobs loaded at start-up do not carry request and results in memory: keep the stored ones.
    "request=COALESCE(excluded.request, jobs.request), "
    "results=COALESCE(excluded.results, jobs.results)"
)


class StoreWriteError(RuntimeError):
    """The commit that should have saved a change failed (the writer logged why)."""


@dataclass(frozen=True, slots=True)
class StoredJob:
    """A job as loaded at start-up (request and results stay on disk until asked for)."""

    seq: int
    id: str
    process_id: str
    status: str
    created: str
    started: str | None
    finished: str | None
    updated: str | None
    progress: int | None
    message: str | None
    error: str | None
    has_results: bool


class JobStore:
    """Jobs in SQLite (``:memory:`` or a file), written behind by a group-commit thread.

    ``commit_interval`` is how long the writer lingers after the first change
    to gather more changes into the same transaction.
    """

    def __init__(self, path: str | Path = ":memory:", *, commit_interval: float = 0.005) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.path = str(Path(self.path).expanduser())
        self.commit_interval = commit_interval
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db_lock = threading.Lock()
        self._setup()
        self._cond = threading.Condition()
        self._pending: dict[int, JobRow | None] = {}
        self._queued = 0  # changes handed over so far
        self._written = 0  # changes committed (or dropped after an error) so far
        self._closing = False
        self._closed = False
        self.last_error: Exception | None = None
        """The last error the writer met (the batch was dropped and logged), if any."""
        self.durable = self.path != ":memory:"
        """Whether :meth:`committed` waits for the disk (an in-memory store has none)."""
        # (ticket, callback(ok)) of callers waiting for their changes to be committed
        self._commit_waiters: list[tuple[int, Callable[[bool], None]]] = []
        self._writer = threading.Thread(
            target=self._write_loop, name="procdeck-store-writer", daemon=True
        )
        self._writer.start()

    def _setup(self) -> None:
        db = self._db
        if self.path != ":memory:":
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS jobs (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
            "process_id TEXT NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL, "
            "started TEXT, finished TEXT, updated TEXT, progress INTEGER, message TEXT, "
            "request TEXT, error TEXT, results TEXT)"
        )
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        self._migrate(meta.get("schema_version", SCHEMA_VERSION))
        db.execute(_CALLBACKS_TABLE)
        db.execute(_CALLBACKS_INDEX)
        max_seq = db.execute("SELECT MAX(seq) FROM jobs").fetchone()[0]
        stored_next = int(meta.get("next_number", 0))
        self.unclean_start = meta.get("clean", "1") == "0"
        """True when the previous server using this store did not shut down cleanly."""
        next_number = max(stored_next, (max_seq + 1) if max_seq is not None else 0)
        if self.unclean_start:
            next_number += UNCLEAN_GAP
        self.first_number = next_number
        """The first job number this run may hand out."""
        self._next_number = next_number
        with db:
            db.execute("BEGIN")
            self._set_meta("schema_version", SCHEMA_VERSION)
            self._set_meta("next_number", str(next_number))
            self._set_meta("clean", "0")

    def _migrate(self, version: str) -> None:
        """Bring a store of an older schema ``version`` up to :data:`SCHEMA_VERSION`."""
        while version != SCHEMA_VERSION:
            if version not in _MIGRATIONS:
                raise RuntimeError(f"job store {self.path} has schema {version}, expected "
                                   f"{SCHEMA_VERSION} (or an older one it can migrate)")
            target, step = _MIGRATIONS[version]
            with self._db:
                self._db.execute("BEGIN")
                step(self._db)
                self._set_meta("schema_version", target)
            log.info("job store %s migrated from schema %s to %s", self.path, version, target)
            version = target

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def load(self) -> list[StoredJob]:
        """Every stored job in creation order, without request and results."""
        with self._db_lock:
            rows = self._db.execute(
                "SELECT seq, id, process_id, status, created, started, finished, updated, "
                "progress, message, error, results IS NOT NULL FROM jobs ORDER BY seq"
            ).fetchall()
        return [StoredJob(*row[:11], has_results=bool(row[11])) for row in rows]

    def load_results(self, seq: int) -> str | None:
        """The committed results (JSON text) of a job, or None."""
        with self._db_lock:
            row = self._db.execute("SELECT results FROM jobs WHERE seq = ?", (seq,)).fetchone()
        return row[0] if row else None

    def load_request(self, seq: int) -> str | None:
        """The committed execute request (JSON text) of a job, or None."""
        with self._db_lock:
            row = self._db.execute("SELECT request FROM jobs WHERE seq = ?", (seq,)).fetchone()
        return row[0] if row else None

    def add_callback_attempt(
        self, seq: int, kind: str, uri: str, attempt: int, time: str,
        status: int | None, error: str | None,
    ) -> None:
        """Record one callback delivery attempt of job ``seq`` (written at once, not behind).

        Called from the callback thread, never on the event loop. Raises
        ``RuntimeError`` once the store is closed.
        """
        with self._db_lock:
            if self._closed:
                raise RuntimeError("the job store is closed")
            with self._db:
                self._db.execute(
                    "INSERT INTO callbacks (seq, kind, uri, attempt, time, status, error) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", (seq, kind, uri, attempt, time, status, error),
                )

    def callback_attempts(self, seq: int) -> list[dict[str, Any]]:
        """Job ``seq``'s recorded callback attempts, oldest first."""
        with self._db_lock:
            rows = self._db.execute(
                "SELECT kind, uri, attempt, time, status, error FROM callbacks WHERE seq = ? "
                "ORDER BY id", (seq,),
            ).fetchall()
        return [{"kind": kind, "uri": uri, "attempt": attempt, "time": moment,
                 "status": status, "error": error,
                 "delivered": status is not None and 200 <= status < 300}
                for kind, uri, attempt, moment, status, error in rows]

    def put(self, row: JobRow) -> None:
        """Save a job's row (replacing what was saved for it before); written behind."""
        with self._cond:
            if self._closing:
                raise RuntimeError("the job store is closed")
            self._pending[row[0]] = row
            self._queued += 1
            self._cond.notify()

    def delete(self, seq: int) -> None:
        """Remove a job from the store; written behind."""
        with self._cond:
            if self._closing:
                raise RuntimeError("the job store is closed")
            self._pending[seq] = None
            self._queued += 1
            self._cond.notify()

    async def committed(self) -> None:
        """Wait (not blocking the event loop) until the changes handed over so far are committed.

        An acknowledgement sent after this is durable: it survives the server
        process being killed (the commit is in the WAL; ``synchronous=NORMAL``
        may still lose it to a power cut). Raises :class:`StoreWriteError` when
        that commit failed. Returns at once for an in-memory store.
        """
        if not self.durable:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()

        def wake(ok: bool) -> None:  # called on the writer thread
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(ok))

        with self._cond:
            ticket = self._queued
            if self._written >= ticket:
                return
            self._commit_waiters.append((ticket, wake))
            self._cond.notify_all()
        if not await done:
            raise StoreWriteError(f"could not save to the job store: {self.last_error}")

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every change handed over so far is committed. False on timeout."""
        with self._cond:
            target = self._queued
            return self._cond.wait_for(lambda: self._written >= target, timeout)

    def close(self) -> None:
        """Commit what is pending, mark the store cleanly closed and close it."""
        with self._cond:
            if self._closed:
                return
            self._closing = True
            self._cond.notify_all()
        self._writer.join()
        with self._db_lock:
            try:
                with self._db:
                    self._db.execute("BEGIN")
                    self._set_meta("next_number", str(self._next_number))
                    self._set_meta("clean", "1")
                if self.path != ":memory:":
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                self._db.close()
                self._closed = True

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._closing)
                if not self._pending and self._closing:
                    return
            if self.commit_interval and not self._closing:
                # Let more changes join this commit, unless someone waits for it: then
                # commit now; what arrives meanwhile forms the next group.
                with self._cond:
                    self._cond.wait_for(lambda: self._commit_waiters or self._closing,
                                        self.commit_interval)
            with self._cond:
                batch, self._pending = self._pending, {}
                done = self._queued
            ok = self._write(batch)
            with self._cond:
                self._written = done
                waiting = self._commit_waiters
                ready = [callback for ticket, callback in waiting if ticket <= done]
                if ready:
                    self._commit_waiters = [w for w in waiting if w[0] > done]
                self._cond.notify_all()
            for callback in ready:
                callback(ok)

    def _write(self, batch: dict[int, JobRow | None]) -> bool:
        upserts = [row for row in batch.values() if row is not None]
        deletes = [(seq,) for seq, row in batch.items() if row is None]
        highest = max(batch) + 1
        if highest > self._next_number:
            self._next_number = highest
        try:
            with self._db_lock, self._db:
                self._db.execute("BEGIN")
                if upserts:
                    self._db.executemany(_UPSERT, upserts)
                if deletes:
                    self._db.executemany("DELETE FROM jobs WHERE seq = ?", deletes)
                    self._db.executemany("DELETE FROM callbacks WHERE seq = ?", deletes)
                self._set_meta("next_number", str(self._next_number))
        except Exception as exc:  # keep serving and keep the writer alive; log and remember
            self.last_error = exc
            log.error("could not save %d job change(s) to %s: %s", len(batch), self.path, exc)
            return False
        return True

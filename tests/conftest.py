"""Shared fixtures: real ``procdeck serve`` processes on free loopback ports.

- ``live_server``: base URL of one server with the demo processes for the whole session.
- ``server_factory``: start servers with their own store/processes/arguments
  (``start(...) -> ServerProcess`` with ``.url``, ``.port``, ``.stop()``, ``.kill()``);
  every server started is stopped at teardown.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from procdeck.server.testing import ServerProcess


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT``) of a real server with the demo processes."""
    root = tmp_path_factory.mktemp("live-server")
    server = ServerProcess(
        store=root / "jobs.sqlite", data_dir=root / "data", log_path=root / "server.log"
    )
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


ServerStarter = Callable[..., ServerProcess]


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[ServerStarter]:
    """Start servers on demand: ``start(store=..., processes=[...], extra_args=[...])``.

    ``store`` defaults to a fresh SQLite file in ``tmp_path``; pass the same path
    again to restart a server on the same store.
    """
    started: list[ServerProcess] = []

    def start(
        store: str | Path | None = None,
        processes: Sequence[str] = (),
        extra_args: Sequence[str] = (),
        **kwargs: object,
    ) -> ServerProcess:
        index = len(started)
        kwargs.setdefault("data_dir", tmp_path / "data")
        server = ServerProcess(
            store=store if store is not None else tmp_path / "jobs.sqlite",
            processes=processes,
            extra_args=extra_args,
            log_path=tmp_path / f"server-{index}.log",
            **kwargs,  # type: ignore[arg-type]
        )
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI every extra is installed: a skipped test there hides a broken install, so fail."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and session.exitstatus == 0:
        reporter.ensure_newline()
        for report in skipped:
            reporter.write_line(f"SKIPPED IN CI (counted as a failure): {report.nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

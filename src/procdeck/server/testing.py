"""Start a real ``procdeck serve`` in a subprocess: for tests, benchmarks and demos.

:class:`ServerProcess` picks a free loopback port, starts
``python -m procdeck serve`` there and waits until the landing page answers.
It imports nothing heavy (no FastAPI), so GUI tests and benchmarks can use it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import httpx

__all__ = ["ServerProcess", "ServerStartError", "free_port"]


class ServerStartError(RuntimeError):
    """The server process exited or did not answer in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A ``procdeck serve`` subprocess on a free loopback port.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. The
    server's output goes to :attr:`log_path` (read it with :meth:`log`).
    """

    def __init__(
        self,
        *,
        store: str | Path = ":memory:",
        processes: Sequence[str] = (),
        extra_args: Sequence[str] = (),
        host: str = "127.0.0.1",
        port: int | None = None,
        workers: int | None = None,
        data_dir: str | Path | None = None,
        env: dict[str, str] | None = None,
        log_path: str | Path | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.store = str(store)
        self.processes = list(processes)
        self.extra_args = list(extra_args)
        self.workers = workers
        self.data_dir = str(data_dir) if data_dir is not None else None
        self.env = env
        self.log_path = Path(log_path) if log_path else Path(
            tempfile.mkstemp(prefix="procdeck-server-", suffix=".log")[1]
        )
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The process id while running."""
        return self._process.pid if self._process else None

    def command(self) -> list[str]:
        """The command line that starts the server."""
        cmd = [sys.executable, "-m", "procdeck", "serve", "--host", self.host,
               "--port", str(self.port), "--store", self.store]
        for module in self.processes:
            cmd += ["--processes", module]
        if self.workers is not None:
            cmd += ["--workers", str(self.workers)]
        if self.data_dir is not None:
            cmd += ["--data-dir", self.data_dir]
        return cmd + self.extra_args

    def start(self, timeout: float = 30.0) -> ServerProcess:
        """Start the server and wait until ``GET /`` answers 200."""
        if self.is_running():
            return self
        env = {**os.environ, **(self.env or {})}
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=env
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerStartError(
                    f"procdeck serve exited with {self._process.returncode}:\n{self.log()}"
                )
            try:
                if httpx.get(self.url + "/", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise ServerStartError(f"procdeck serve did not answer within {timeout} s:\n{self.log()}")

    def is_running(self) -> bool:
        """True while the subprocess lives."""
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 15.0) -> int | None:
        """Stop gracefully (SIGTERM), wait; kill if it does not exit in time.

        Returns the exit code: after its graceful shutdown uvicorn re-raises the
        signal, so a clean stop gives ``-SIGTERM`` (or 0).
        """
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        return self._process.returncode

    def kill(self) -> int | None:
        """Kill at once (SIGKILL), as a crash would. Returns the exit code."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        return self._process.returncode

    def log(self) -> str:
        """Everything the server printed so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

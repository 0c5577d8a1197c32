"""``procdeck gui`` in a subprocess with any options and environment, for browser tests that
need more than the ``app_factory`` fixture offers (``--timeout``, a token in the environment,
module-scoped apps)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from procdeck.server.testing import free_port

__all__ = ["ServedApp"]


class ServedApp:
    """``python -m procdeck gui --server URL --port P --no-browser [options]``, output in a log."""

    def __init__(self, server_url: str, log_path: Path, *, options: Sequence[str] = (),
                 env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.command = [sys.executable, "-m", "procdeck", "gui", "--server", server_url,
                        "--port", str(self.port), "--no-browser", *options]
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 60.0) -> ServedApp:
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                             env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"procdeck gui exited:\n{self.log()}")
            try:
                if httpx.get(self.url, timeout=2.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"procdeck gui did not answer within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> ServedApp:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def assert_no_app_errors(log: str) -> None:
    """Nothing of procdeck's died in the app: no traceback through its code, no poller bug.

    (Tornado may log a WebSocketClosedError when a test closes its page mid-update:
    that one is Tornado's and harmless.)
    """
    assert "/procdeck/" not in log, log[-3000:]
    for words in ("internal error", "job poller tick failed", "job view update failed"):
        assert words not in log, log[-3000:]

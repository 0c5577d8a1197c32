"""The shared server fixtures start real servers that answer."""

from __future__ import annotations

import signal

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_live_server_serves_the_demo_processes(live_server: str) -> None:
    response = httpx.get(f"{live_server}/processes")
    assert response.status_code == 200
    ids = [p["id"] for p in response.json()["processes"]]
    assert ids[:4] == ["sleep_a_while", "primes_between", "simulate_scene", "return_base_model"]


def test_server_factory_starts_stops_and_kills(server_factory, tmp_path) -> None:
    server = server_factory(store=tmp_path / "a.sqlite")
    assert httpx.get(server.url + "/").status_code == 200
    # uvicorn re-raises SIGTERM after its graceful shutdown
    assert server.stop() in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.log()
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url + "/", timeout=1)
    again = server_factory(store=tmp_path / "a.sqlite")
    assert httpx.get(again.url + "/conformance").status_code == 200
    assert again.kill() == -signal.SIGKILL

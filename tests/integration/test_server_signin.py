"""Sign-in on the real server: API keys (the OpenID Connect part is not written yet)."""

from __future__ import annotations

import time

import httpx
import pytest
from typer.testing import CliRunner

from procdeck.cli import app as cli

pytestmark = pytest.mark.integration


def _add_key(file, user: str, *extra: str) -> str:
    result = CliRunner().invoke(cli, ["api-key", "add", user, "--file", str(file), *extra])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_api_keys_on_the_real_server(server_factory, tmp_path) -> None:
    file = tmp_path / "keys.toml"
    alice = _add_key(file, "alice")
    root = _add_key(file, "root", "--admin")
    server = server_factory(store=":memory:", extra_args=["--api-keys", str(file)])
    url = server.url + "/jobs"
    assert httpx.get(url, headers={"X-API-Key": alice}).status_code == 200
    assert httpx.get(url, headers={"Authorization": f"Bearer {root}"}).status_code == 200
    refused = httpx.get(url, headers={"X-API-Key": alice + "x"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer realm="procdeck", error="invalid_token"'
    assert httpx.get(url).headers["www-authenticate"] == 'Bearer realm="procdeck"'
    # A key added while the server runs works within a couple of seconds; a removed one stops.
    bob = _add_key(file, "bob")
    assert CliRunner().invoke(cli, ["api-key", "remove", "alice", "--file", str(file)]) \
        .exit_code == 0
    deadline = time.monotonic() + 10
    while httpx.get(url, headers={"X-API-Key": bob}).status_code != 200:
        assert time.monotonic() < deadline, "the new key was not picked up"
        time.sleep(0.2)
    assert httpx.get(url, headers={"X-API-Key": alice}).status_code == 401
    # A broken file keeps the last good keys.
    file.write_text("[[key]\nbroken")
    time.sleep(1.5)
    assert httpx.get(url, headers={"X-API-Key": bob}).status_code == 200
    server.stop()
    log = server.log()
    assert "refused GET /jobs" in log and "API keys not reloaded" in log
    for key in (alice, root, bob):
        assert key not in log

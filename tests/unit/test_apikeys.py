"""API keys: the file (hashes only, 0600), reloads, the gate's answers, and the CLI."""

from __future__ import annotations

import logging
import os

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from procdeck.cli import app as cli
from procdeck.server.app import create_app
from procdeck.server.auth import (
    ApiKeyEntry,
    ApiKeyFileError,
    ApiKeyStore,
    hash_api_key,
    new_api_key,
    read_api_keys,
    write_api_keys,
)
from procdeck.server.security import SecuritySettings


def _entry(user: str, key: str, admin: bool = False) -> ApiKeyEntry:
    return ApiKeyEntry(user, bytes.fromhex(hash_api_key(key)[7:]), admin)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_file_keeps_hashes_only_with_mode_0600(tmp_path) -> None:
    key = new_api_key()
    assert key.startswith("pdk_") and len(key) > 40
    file = tmp_path / "keys.toml"
    write_api_keys(file, [_entry("alice", key), _entry('bo"b', "other", admin=True)])
    assert key not in file.read_text() and hash_api_key(key) in file.read_text()
    assert os.stat(file).st_mode & 0o777 == 0o600
    entries = read_api_keys(file)
    assert [(e.user, e.admin) for e in entries] == [("alice", False), ('bo"b', True)]
    assert key not in repr(entries) and hash_api_key(key)[7:] not in repr(entries)


@pytest.mark.parametrize("text, reason", [
    ("[[key]]\nuser = 'a'\n", "'hash'"),
    ("[[key]]\nuser = ''\nhash = 'sha256:" + "0" * 64 + "'\n", "'user'"),
    ("[[key]]\nuser = 'a'\nhash = 'sha256:" + "0" * 64 + "'\nadmin = 'yes'\n", "'admin'"),
    ("[[key]]\nuser = 'a'\nhash = 'sha256:" + "0" * 64 + "'\n" * 1
     + "[[key]]\nuser = 'a'\nhash = 'sha256:" + "1" * 64 + "'\n", "one per user"),
    ("key = 3\n", "array of tables"),
    ("[[key]\n", "not valid TOML"),
])
def test_a_malformed_file_says_why_without_the_hash(tmp_path, text, reason) -> None:
    file = tmp_path / "keys.toml"
    file.write_text(text)
    with pytest.raises(ApiKeyFileError, match=reason) as bad:
        read_api_keys(file)
    assert "0" * 64 not in str(bad.value)


def test_the_store_reloads_on_change_at_most_once_a_second(tmp_path, caplog) -> None:
    file = tmp_path / "keys.toml"
    write_api_keys(file, [_entry("alice", "key-a")])
    clock = Clock()
    store = ApiKeyStore(file, clock=clock)
    assert store.lookup("key-a").user == "alice" and store.lookup("key-b") is None
    write_api_keys(file, [_entry("bob", "key-b", admin=True)])
    clock.now = 0.5  # not checked yet
    assert store.lookup("key-b") is None
    clock.now = 1.5
    assert store.lookup("key-b").admin and store.lookup("key-a") is None
    file.write_text("[[key]\nbroken")
    clock.now = 3.0
    with caplog.at_level(logging.INFO, logger="procdeck.server.auth"):
        assert store.lookup("key-b").user == "bob"  # the last good keys stay
        clock.now = 4.5
        assert store.lookup("key-b").user == "bob"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "keeping the 1 key(s)" in warnings[0].getMessage()
    assert "key-b" not in caplog.text and hash_api_key("key-b")[7:] not in caplog.text


def test_the_server_takes_keys_in_the_header_or_as_bearer(tmp_path, caplog) -> None:
    file = tmp_path / "keys.toml"
    write_api_keys(file, [_entry("alice", "key-alice"), _entry("root", "key-root", True)])
    settings = SecuritySettings(api_keys=file, api_key_header="X-Procdeck-Key")
    with TestClient(create_app(security=settings)) as client, \
            caplog.at_level(logging.INFO, logger="procdeck.server.auth"):
        assert client.get("/jobs", headers={"X-Procdeck-Key": "key-alice"}).status_code == 200
        assert client.get("/jobs", headers={"Authorization": "Bearer key-root"}).status_code \
            == 200
        missing = client.get("/jobs")
        wrong = client.get("/jobs", headers={"X-Procdeck-Key": "key-nobody"})
        default_header = client.get("/jobs", headers={"X-API-Key": "key-alice"})
        assert client.get("/").status_code == 200
        document = client.get("/openapi.json").json()
    assert missing.status_code == wrong.status_code == default_header.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="procdeck"'
    assert wrong.headers["www-authenticate"] == 'Bearer realm="procdeck", error="invalid_token"'
    assert "API key is not valid" in wrong.json()["detail"]
    assert "key-nobody" not in wrong.text and "key-nobody" not in caplog.text
    assert "refused GET /jobs" in caplog.text
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKeyAuth"] == {"type": "apiKey", "in": "header", "name": "X-Procdeck-Key",
                                     "description": schemes["apiKeyAuth"]["description"]}
    assert document["paths"]["/jobs"]["get"]["security"] == [{"bearerAuth": []},
                                                             {"apiKeyAuth": []}]


def test_token_and_keys_combine(tmp_path) -> None:
    file = tmp_path / "keys.toml"
    write_api_keys(file, [_entry("alice", "key-alice")])
    settings = SecuritySettings(token="the-shared-token", api_keys=file)
    with TestClient(create_app(security=settings)) as client:
        answers = [client.get("/jobs", headers=headers).status_code for headers in (
            {"Authorization": "Bearer the-shared-token"}, {"X-API-Key": "key-alice"},
            {"Authorization": "Bearer key-alice"}, {"Authorization": "Bearer nope"})]
    assert answers == [200, 200, 200, 401]


def test_the_cli_adds_lists_and_removes_keys(tmp_path) -> None:
    file = tmp_path / "keys.toml"
    runner = CliRunner()
    added = runner.invoke(cli, ["api-key", "add", "alice", "--file", str(file)])
    assert added.exit_code == 0, added.output
    key = added.stdout.strip()
    assert key.startswith("pdk_") and key not in file.read_text()
    assert os.stat(file).st_mode & 0o777 == 0o600
    assert runner.invoke(cli, ["api-key", "add", "root", "--admin", "--file", str(file)]) \
        .exit_code == 0
    assert runner.invoke(cli, ["api-key", "add", "alice", "--file", str(file)]).exit_code == 1
    listed = runner.invoke(cli, ["api-key", "list", "--file", str(file)])
    assert listed.exit_code == 0
    assert [line.split() for line in listed.stdout.splitlines()] == [
        ["user", "admin"], ["alice", "no"], ["root", "yes"]]
    assert "sha256" not in listed.output
    assert ApiKeyStore(file).lookup(key).user == "alice"
    assert runner.invoke(cli, ["api-key", "remove", "alice", "--file", str(file)]).exit_code == 0
    assert runner.invoke(cli, ["api-key", "remove", "alice", "--file", str(file)]).exit_code == 1
    assert [e.user for e in read_api_keys(file)] == ["root"]

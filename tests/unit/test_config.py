"""ClientConfig: resolution order, the 0600 config file, the token kept secret."""

from __future__ import annotations

import json
import os
import stat
import tomllib
import warnings
from pathlib import Path

import client_support
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procdeck.client import Client, ClientConfig, ConfigError, InsecureConfigWarning
from procdeck.client.config import DEFAULT_SERVER_URL, default_config_path, toml_string

isolated_config = client_support.isolated_config


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_file(path: Path, text: str, file_mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(file_mode)
    return path


def test_defaults_without_anything(isolated_config) -> None:
    config = ClientConfig.load()
    assert (config.server_url, config.access_token, config.user_name) == (
        DEFAULT_SERVER_URL,
        None,
        None,
    )


def test_each_setting_resolves_arguments_env_file_default(isolated_config, monkeypatch) -> None:
    write_file(
        isolated_config,
        'server_url = "http://file.test"\naccess_token = "file-token"\nuser_name = "file-user"\n',
    )
    monkeypatch.setenv("PROCDECK_ACCESS_TOKEN", "env-token")
    monkeypatch.setenv("PROCDECK_USER_NAME", "env-user")
    config = ClientConfig.load(user_name="arg-user")
    assert config.user_name == "arg-user"  # argument beats environment
    assert config.access_token.get_secret_value() == "env-token"  # environment beats file
    assert config.server_url == "http://file.test"  # file beats default


def test_env_server_url(monkeypatch) -> None:
    monkeypatch.setenv("PROCDECK_SERVER_URL", "http://env.test:9000/")
    assert ClientConfig.load().server_url == "http://env.test:9000"
    assert ClientConfig.load("http://arg.test").server_url == "http://arg.test"


def test_empty_environment_values_count_as_unset(isolated_config, monkeypatch) -> None:
    write_file(isolated_config, 'user_name = "file-user"\n')
    monkeypatch.setenv("PROCDECK_USER_NAME", "")
    assert ClientConfig.load().user_name == "file-user"


def test_default_path_is_in_home(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("PROCDECK_CONFIG")
    assert default_config_path() == tmp_path / ".procdeck" / "config.toml"
    write_file(tmp_path / ".procdeck" / "config.toml", 'user_name = "home-user"\n')
    assert ClientConfig.load().user_name == "home-user"


def test_client_uses_the_resolved_config(isolated_config, monkeypatch) -> None:
    write_file(isolated_config, 'access_token = "from-file"\n')
    monkeypatch.setenv("PROCDECK_SERVER_URL", "http://env.test")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"conformsTo": []})

    with Client(transport=httpx.MockTransport(handler)) as client:
        client.get_conformance()
    assert str(seen[0].url) == "http://env.test/conformance"
    assert seen[0].headers["authorization"] == "Bearer from-file"


def test_write_creates_a_0600_file_and_a_0700_directory(tmp_path) -> None:
    old_umask = os.umask(0)  # even with a permissive umask
    try:
        target = tmp_path / "new-dir" / "config.toml"
        written = ClientConfig(server_url="http://h.test", access_token="t0k", user_name="u").write(
            target
        )
    finally:
        os.umask(old_umask)
    assert written == target
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700
    assert tomllib.loads(target.read_text()) == {
        "server_url": "http://h.test",
        "access_token": "t0k",
        "user_name": "u",
    }
    assert [p.name for p in target.parent.iterdir()] == ["config.toml"]  # no temp file left


def test_write_replaces_a_loose_file_with_a_0600_one(isolated_config) -> None:
    write_file(isolated_config, 'user_name = "old"\n', 0o644)
    ClientConfig(user_name="new").write()
    assert mode(isolated_config) == 0o600
    assert ClientConfig.from_file().user_name == "new"


def test_write_to_the_default_path(isolated_config) -> None:
    assert ClientConfig(user_name="bibo").write() == isolated_config
    assert ClientConfig.load().user_name == "bibo"


def test_reading_a_loose_file_warns(isolated_config) -> None:
    write_file(isolated_config, 'access_token = "t"\n', 0o644)
    with pytest.warns(InsecureConfigWarning, match=r"mode 0644\); run: chmod 600"):
        ClientConfig.load()


def test_reading_a_private_file_does_not_warn(isolated_config) -> None:
    write_file(isolated_config, 'access_token = "t"\n', 0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ClientConfig.load().access_token.get_secret_value() == "t"


def test_a_broken_config_file_is_a_config_error(isolated_config) -> None:
    write_file(isolated_config, "server_url = \n")
    with pytest.raises(ConfigError, match=f"cannot read config file {isolated_config}"):
        ClientConfig.load()


def test_the_file_is_not_read_when_arguments_settle_everything(isolated_config) -> None:
    write_file(isolated_config, "this is not TOML")
    config = ClientConfig.load("http://a.test", "tok", "me")
    assert config.user_name == "me"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("localhost:8008", "http://localhost:8008"),
        ("https://h.test/api/", "https://h.test/api"),
        ("  http://h.test  ", "http://h.test"),
    ],
)
def test_server_url_normalisation(given, expected) -> None:
    assert ClientConfig(server_url=given).server_url == expected


@pytest.mark.parametrize("bad", ["ftp://h.test", "http://", "file:///etc/passwd"])
def test_invalid_server_url_is_a_config_error(bad) -> None:
    with pytest.raises(ConfigError, match="server URL must be an http"):
        ClientConfig(server_url=bad)
    with pytest.raises(ConfigError):
        Client(server_url=bad)


def test_the_token_is_masked_everywhere() -> None:
    config = ClientConfig(server_url="http://h.test", access_token="s3cr3t", user_name="bibo")
    shown = [
        repr(config),
        str(config),
        config.to_json(),
        json.dumps(config.to_dict()),
        json.dumps(config._repr_json_()),
        config.model_dump_json(),
        repr(config.model_dump()),
        repr(Client(config=config)),
    ]
    for text in shown:
        assert "s3cr3t" not in text
    assert config.to_dict() == {
        "access_token": "****",
        "server_url": "http://h.test",
        "user_name": "bibo",
    }
    assert config.access_token.get_secret_value() == "s3cr3t"


def test_invalid_token_type_does_not_echo_it() -> None:
    with pytest.raises(ConfigError) as info:
        ClientConfig(access_token=["s3cr3t"])
    assert "s3cr3t" not in str(info.value)
    assert "access_token" in str(info.value)


def test_unset_token_shows_as_null() -> None:
    assert ClientConfig().to_dict()["access_token"] is None


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40))
def test_toml_strings_round_trip(text: str) -> None:
    assert tomllib.loads(f"v = {toml_string(text)}")["v"] == text


def test_special_characters_survive_write_and_load(tmp_path) -> None:
    token = 'a"b\\c\nd\te\x7f\u00e9🙂'
    path = tmp_path / "c.toml"
    ClientConfig(access_token=token, user_name="Zoë").write(path)
    loaded = ClientConfig.from_file(path)
    # surrounding whitespace is stripped from settings, inner characters kept
    assert loaded.access_token.get_secret_value() == token.strip()
    assert loaded.user_name == "Zoë"

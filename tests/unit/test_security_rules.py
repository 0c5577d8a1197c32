"""The security building blocks on their own: write paths, job ids, JSON depth, sizes,
token files, the token check, the loopback warning and the OpenAPI security notes."""

from __future__ import annotations

import hmac
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from procdeck.server import JobContext, create_app
from procdeck.server import app as app_module
from procdeck.server import security as security_module
from procdeck.server.errors import ProblemError
from procdeck.server.paths import PathNotAllowed, PathPolicy, is_job_id
from procdeck.server.security import (
    SecuritySettings,
    TokenFileError,
    check_json_depth,
    is_loopback,
    parse_size,
    read_token_file,
)

TOKEN = "unit-test-token-0123456789abcdef"


# -- write paths ----------------------------------------------------------------------------------


@pytest.fixture
def policy(tmp_path: Path) -> PathPolicy:
    (tmp_path / "data").mkdir()
    (tmp_path / "extra").mkdir()
    (tmp_path / "outside").mkdir()
    return PathPolicy.create(tmp_path / "data", [tmp_path / "extra"])


def test_relative_paths_land_in_the_data_directory(policy: PathPolicy) -> None:
    assert policy.resolve("scene.zarr") == policy.data_dir / "scene.zarr"
    assert policy.resolve("a/b/../c.zarr") == policy.data_dir / "a" / "c.zarr"
    assert policy.resolve(policy.data_dir / "x") == policy.data_dir / "x"
    assert policy.resolve((policy.data_dir / "y z").as_uri()) == policy.data_dir / "y z"
    assert policy.resolve("file://localhost" + str(policy.data_dir / "w")) == \
        policy.data_dir / "w"
    assert policy.resolve(policy.allowed[0] / "out.zarr") == policy.allowed[0] / "out.zarr"


@pytest.mark.parametrize("bad", [
    "../outside/x", "../../../../etc/passwd", "/etc/passwd", "a/../../outside",
    "s3://bucket/key", "http://example.com/x", "file://otherhost/etc/x", "",
    "   ", "with\x00nul", ".", "file:///",
])
def test_paths_outside_are_refused(policy: PathPolicy, bad: str) -> None:
    with pytest.raises(PathNotAllowed):
        policy.resolve(bad)
    assert not policy.contains(bad)


def test_the_roots_themselves_are_refused(policy: PathPolicy) -> None:
    # A process writing with mode="w" to the data directory itself would wipe it.
    for root in policy.roots:
        with pytest.raises(PathNotAllowed):
            policy.resolve(root)


def test_symlinks_out_of_the_data_directory_are_refused(policy: PathPolicy) -> None:
    outside = policy.data_dir.parent / "outside"
    (policy.data_dir / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathNotAllowed, match="outside the directories"):
        policy.resolve("link/scene.zarr")


def test_a_long_hostile_path_is_not_echoed_in_full(policy: PathPolicy) -> None:
    with pytest.raises(PathNotAllowed) as refused:
        policy.resolve("/" + "x" * 10_000)
    assert len(str(refused.value)) < 600


def test_the_job_context_applies_the_policy(policy: PathPolicy) -> None:
    context = JobContext("job_1", policy.data_dir, allowed_dirs=policy.allowed)
    assert context.writable_path("job_1/scene.zarr") == policy.data_dir / "job_1" / "scene.zarr"
    assert context.writable_path(policy.allowed[0] / "x") == policy.allowed[0] / "x"
    with pytest.raises(PathNotAllowed):
        JobContext("job_1", policy.data_dir).writable_path(policy.allowed[0] / "x")
    with pytest.raises(ValueError):  # PathNotAllowed is a ValueError for process authors
        context.writable_path("../outside")


@pytest.mark.parametrize("text, expected", [
    ("job_0", True), ("job_17", True), ("job_123456789012345678", True),
    ("job_01", False), ("job_-1", False), ("job_", False), ("job_1/../x", False),
    ("../job_1", False), ("job_1 ", False), ("JOB_1", False), ("job_1\n", False),
    ("job_" + "1" * 19, False), ("job_١", False),
])
def test_job_ids_have_one_shape(text: str, expected: bool) -> None:
    assert is_job_id(text) is expected


# -- JSON depth, sizes ----------------------------------------------------------------------------


def nested(levels: int, leaf: object = 1) -> object:
    value = leaf
    for index in range(levels):
        value = [value] if index % 2 else {"k": value}
    return value


def test_json_depth_limit_is_exact() -> None:
    check_json_depth(nested(10), 10)
    check_json_depth(nested(9, [1, 2, {"a": None}]), 11)
    with pytest.raises(ProblemError) as deep:
        check_json_depth(nested(11), 10)
    assert deep.value.status == 400 and "deeper than 10" in (deep.value.detail or "")
    check_json_depth("text", 1)
    check_json_depth([], 1)


def test_json_depth_check_survives_any_depth() -> None:
    with pytest.raises(ProblemError):
        check_json_depth(nested(200_000), 64)  # no RecursionError


@pytest.mark.parametrize("text, size", [
    ("1", 1), ("16777216", 16 * 1024 * 1024), ("16MiB", 16 * 1024 * 1024),
    ("16M", 16 * 1024 * 1024), ("512k", 512 * 1024), ("1.5KiB", 1536), ("2GB", 2 * 10**9),
    (" 4 kib ", 4096), ("1_000", 1000),
])
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "-1", "M", "1x", "nan", "inf", "1e9", "0.1"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


# -- token ----------------------------------------------------------------------------------------


def test_token_file_is_read_and_its_mode_checked(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(f"  {TOKEN}\n")
    path.chmod(0o600)
    assert read_token_file(path) == (TOKEN, None)
    path.chmod(0o640)
    token, warning = read_token_file(path)
    assert token == TOKEN and warning and "0640" in warning and "chmod 600" in warning
    assert TOKEN not in warning


def test_token_file_errors_never_show_the_content(tmp_path: Path) -> None:
    secret = "two words-" + TOKEN
    path = tmp_path / "token"
    path.write_text(secret)
    with pytest.raises(TokenFileError) as bad:
        read_token_file(path)
    assert TOKEN not in str(bad.value) and "one line" in str(bad.value)
    for path, reason in ((tmp_path / "none", "cannot read"), (tmp_path, "cannot read")):
        with pytest.raises(TokenFileError, match=reason):
            read_token_file(path)
    empty = tmp_path / "empty"
    empty.write_text(" \n")
    with pytest.raises(TokenFileError, match="empty"):
        read_token_file(empty)


def test_settings_never_show_the_token() -> None:
    settings = SecuritySettings(token=TOKEN, cors_origins=("http://a",))
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert "token=set" in repr(settings)
    with pytest.raises(ValueError):
        SecuritySettings(token="  ")
    with pytest.raises(ValueError):
        SecuritySettings(max_body_size=0)


def test_the_token_check_compares_digests_in_constant_time(monkeypatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security_module.hmac, "compare_digest", spy)
    app = create_app(security=SecuritySettings(token=TOKEN))
    with TestClient(app) as client:
        for given in ("x", TOKEN[:-1], TOKEN + "x" * 100, TOKEN):
            client.get("/jobs", headers={"Authorization": f"Bearer {given}"})
        answers = [client.get("/jobs", headers=h).status_code
                   for h in ({"Authorization": f"bearer {TOKEN}"}, {"Authorization": TOKEN})]
    assert answers == [200, 401]
    # Every comparison: digests of one length, whatever length was sent.
    assert len(compared) == 6 and {len(a) for pair in compared for a in pair} == {32}


def test_openapi_without_a_token_has_no_security_notes() -> None:
    with TestClient(create_app()) as client:
        document = client.get("/openapi.json").json()
    assert "securitySchemes" not in document.get("components", {})
    for operations in document["paths"].values():
        for operation in operations.values():
            assert "401" not in operation["responses"] and "security" not in operation
            assert "500" in operation["responses"]
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):  # problems, typed as such, with their schema
                    assert set(response["content"]) == {"application/problem+json"}
                    assert response["content"]["application/problem+json"]["schema"]


# -- where the server listens ---------------------------------------------------------------------


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.5.0.1", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
    ("example.org", False),
])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serving_beyond_loopback_without_a_token_warns(monkeypatch, capsys) -> None:
    import uvicorn

    served: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, host, **kwargs: served.append(host))
    app_module.run_server("0.0.0.0", 8008, store=":memory:")
    assert "WARNING" in capsys.readouterr().err
    app_module.run_server("0.0.0.0", 8008, store=":memory:",
                          security=SecuritySettings(token=TOKEN))
    app_module.run_server("127.0.0.1", 8008, store=":memory:")
    out = capsys.readouterr()
    assert "WARNING" not in out.err and TOKEN not in out.out + out.err
    assert "access token required" in out.out
    assert served == ["0.0.0.0", "0.0.0.0", "127.0.0.1"]

"""The client commands of ``procdeck``, run with typer's CliRunner against a mock server."""

from __future__ import annotations

import json
import stat
import tomllib

import client_support
import httpx
import pytest
from client_support import Recorder, closed_port, json_response
from typer.testing import CliRunner

from procdeck.cli import app, client_cmds
from procdeck.client import Client

isolated_config = client_support.isolated_config

SLEEP = {
    "id": "sleep_a_while",
    "title": "Sleep Processor",
    "version": "0.0.0",
    "inputs": {
        "duration": {
            "title": "Duration",
            "minOccurs": 0,
            "schema": {"type": "number", "default": 10},
        },
        "bands": {
            "title": "Bands",
            "maxOccurs": 3,
            "schema": {"type": "string", "enum": ["B01", "B02"]},
        },
    },
    "outputs": {"return_value": {"title": "Return Value", "schema": {"type": "number"}}},
}
JOB = {
    "jobID": "job_0",
    "processID": "sleep_a_while",
    "status": "running",
    "progress": 40,
    "created": "2025-10-07T14:27:18Z",
    "message": "Sleeping",
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def server(monkeypatch) -> Recorder:
    """A mock server behind every command's client."""
    recorder = Recorder()
    opened: list[str | None] = []

    def open_client(server_url: str | None) -> Client:
        opened.append(server_url)
        return Client(server_url or "http://cli.test", transport=httpx.MockTransport(recorder))

    monkeypatch.setattr(client_cmds, "open_client", open_client)
    recorder.opened = opened  # type: ignore[attr-defined]
    return recorder


def test_processes_table(runner, server) -> None:
    server.routes[("GET", "/processes")] = json_response(
        200,
        {
            "processes": [
                {
                    "id": "sleep_a_while",
                    "title": "Sleep Processor",
                    "version": "0.0.0",
                    "description": "Sleeps.",
                }
            ]
        },
    )
    result = runner.invoke(app, ["processes", "--server-url", "http://other.test"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "TITLE", "VERSION", "DESCRIPTION"]
    assert lines[1].split() == ["sleep_a_while", "Sleep", "Processor", "0.0.0", "Sleeps."]
    assert server.opened == ["http://other.test"]


def test_processes_json(runner, server) -> None:
    document = {"processes": [{"id": "a"}], "links": []}
    server.routes[("GET", "/processes")] = json_response(200, document)
    result = runner.invoke(app, ["processes", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == document


def test_process_shows_inputs_and_outputs(runner, server) -> None:
    server.routes[("GET", "/processes/sleep_a_while")] = json_response(200, SLEEP)
    result = runner.invoke(app, ["process", "sleep_a_while"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("sleep_a_while: Sleep Processor\nversion 0.0.0\n")
    rows = {line.split()[0]: line for line in out.splitlines() if line}
    assert rows["duration"].split()[:4] == ["duration", "number", "no", "10"]
    assert "string {B01, B02} x3" in rows["bands"] and " yes " in rows["bands"]
    assert rows["return_value"].split() == ["return_value", "number", "Return", "Value"]


def test_execute_parses_inputs_as_json_or_strings(runner, server) -> None:
    server.routes[("POST", "/processes/sleep_a_while/execution")] = httpx.Response(
        201, json=JOB, headers={"Location": "/jobs/job_0"}
    )
    args = [
        "execute",
        "sleep_a_while",
        "-i",
        "duration=2",
        "-i",
        "fail=true",
        "-i",
        "name=hi",
        "-i",
        "bbox=[1, 2, 3, 4]",
        "-i",
        "bands=B01",
        "-i",
        "bands=B02",
        "-i",
        "empty=",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert server.last_json() == {
        "response": "document",
        "inputs": {
            "duration": 2,
            "fail": True,
            "name": "hi",
            "bbox": [1, 2, 3, 4],
            "bands": ["B01", "B02"],
            "empty": "",
        }
    }
    assert server.last.headers["prefer"] == "respond-async"
    assert "job       job_0" in result.stdout and "status    running" in result.stdout


def test_execute_without_equals_is_a_usage_error(runner, server) -> None:
    result = runner.invoke(app, ["execute", "sleep_a_while", "-i", "duration"])
    assert result.exit_code == 2
    assert "expected name=value" in result.output
    assert server.requests == []


def test_execute_wait_prints_results(runner, server, monkeypatch) -> None:
    states = iter(["running", "successful"])
    server.routes[("POST", "/processes/p/execution")] = httpx.Response(
        201, json={"jobID": "j", "status": "accepted"}
    )
    server.routes[("GET", "/jobs/j")] = lambda r: json_response(
        200, {"jobID": "j", "status": next(states), "progress": 50}
    )
    server.routes[("GET", "/jobs/j/results")] = json_response(
        200, {"return_value": {"value": 2.0, "mediaType": "application/json"}}
    )
    monkeypatch.setattr("procdeck.client._sync.time.sleep", lambda s: None)
    result = runner.invoke(app, ["execute", "p", "--wait", "--timeout", "30"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["OUTPUT        VALUE", "return_value  2.0"]
    assert "job j: running 50%" in result.stderr


def test_execute_wait_json(runner, server) -> None:
    server.routes[("POST", "/processes/p/execution")] = json_response(200, {"r": [2, 3, 5]})
    result = runner.invoke(app, ["execute", "p", "--wait", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"r": [2, 3, 5]}


def test_execute_sync_asks_for_synchronous_execution_and_prints_results(runner, server) -> None:
    server.routes[("POST", "/processes/p/execution")] = json_response(
        200, {"return_value": {"value": 7, "mediaType": "application/json"}}
    )
    result = runner.invoke(app, ["execute", "p", "-i", "n=3", "--sync"])
    assert result.exit_code == 0, result.output
    (post,) = [r for r in server.requests if r.method == "POST"]
    assert "Prefer" not in post.headers  # async runs send "Prefer: respond-async"
    assert json.loads(post.content) == {"inputs": {"n": 3}}
    assert result.stdout.splitlines() == ["OUTPUT        VALUE", "return_value  7"]


def test_execute_sync_waits_when_the_server_runs_the_job_asynchronously(
    runner, server, monkeypatch
) -> None:
    server.routes[("POST", "/processes/p/execution")] = httpx.Response(
        201, json={"jobID": "j", "status": "accepted"}
    )
    server.routes[("GET", "/jobs/j")] = json_response(200, {"jobID": "j", "status": "successful"})
    server.routes[("GET", "/jobs/j/results")] = json_response(200, {"r": {"value": 1}})
    monkeypatch.setattr("procdeck.client._sync.time.sleep", lambda s: None)
    result = runner.invoke(app, ["execute", "p", "--sync", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"r": {"value": 1}}


def test_execute_without_wait_or_sync_asks_for_async_and_prints_the_job(runner, server) -> None:
    server.routes[("POST", "/processes/p/execution")] = httpx.Response(
        201, json={"jobID": "j", "status": "accepted"}
    )
    result = runner.invoke(app, ["execute", "p", "--json"])
    assert result.exit_code == 0, result.output
    (post,) = [r for r in server.requests if r.method == "POST"]
    assert post.headers["Prefer"] == "respond-async"
    assert json.loads(result.stdout)["jobID"] == "j"


def test_execute_wait_for_a_failing_job_exits_5(runner, server) -> None:
    server.routes[("POST", "/processes/p/execution")] = httpx.Response(
        201, json={"jobID": "j", "status": "failed", "message": "Failed on purpose"}
    )
    result = runner.invoke(app, ["execute", "p", "-i", "fail=true", "--wait"])
    assert result.exit_code == 5
    assert "Error: job j ended failed: Failed on purpose" in result.stderr
    assert "Traceback" not in result.output


def test_execute_wait_timeout_exits_6(runner, server) -> None:
    server.routes[("POST", "/processes/p/execution")] = httpx.Response(
        201, json={"jobID": "j", "status": "running"}
    )
    server.routes[("GET", "/jobs/j")] = json_response(200, {"jobID": "j", "status": "running"})
    result = runner.invoke(app, ["execute", "p", "--wait", "--timeout", "0"])
    assert result.exit_code == 6
    assert "still running" in result.stderr


def test_jobs_table_with_filters(runner, server) -> None:
    server.routes[("GET", "/jobs")] = json_response(200, {"jobs": [JOB]})
    result = runner.invoke(
        app,
        [
            "jobs",
            "--status",
            "running",
            "--status",
            "accepted",
            "--process",
            "sleep_a_while",
            "--limit",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    params = server.last.url.params
    assert params.get_list("status") == ["running", "accepted"]
    assert params.get_list("processID") == ["sleep_a_while"]
    assert params["limit"] == "5"
    header, row = result.stdout.splitlines()
    assert header.split() == ["JOB", "PROCESS", "STATUS", "PROGRESS", "CREATED", "MESSAGE"]
    assert row.split() == [
        "job_0",
        "sleep_a_while",
        "running",
        "40%",
        "2025-10-07T14:27:18+00:00",
        "Sleeping",
    ]


def test_job_and_json(runner, server) -> None:
    server.routes[("GET", "/jobs/job_0")] = json_response(200, JOB)
    result = runner.invoke(app, ["job", "job_0"])
    assert result.exit_code == 0
    assert "progress  40%" in result.stdout and "message   Sleeping" in result.stdout
    result = runner.invoke(app, ["job", "job_0", "--json"])
    assert json.loads(result.stdout) == {**JOB, "type": "process"}


def test_results_with_links(runner, server) -> None:
    server.routes[("GET", "/jobs/j/results")] = json_response(
        200, {"cube": {"href": "http://h/cube.zarr", "type": "application/zarr"}, "n": 3}
    )
    result = runner.invoke(app, ["results", "j"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        "cube    http://h/cube.zarr (application/zarr)",
        "n       3",
    ]


def test_dismiss(runner, server) -> None:
    server.routes[("DELETE", "/jobs/job_0")] = json_response(200, {**JOB, "status": "dismissed"})
    result = runner.invoke(app, ["dismiss", "job_0"])
    assert result.exit_code == 0
    assert result.stdout == "job job_0: dismissed\n"


def test_server_error_exits_3_without_traceback(runner, server) -> None:
    server.routes[("GET", "/jobs/nope")] = json_response(
        404,
        {
            "type": "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-job",
            "title": "No such job",
            "detail": "Job 'nope' does not exist",
        },
    )
    result = runner.invoke(app, ["job", "nope"])
    assert result.exit_code == 3
    assert result.stderr == (
        "Error: GET http://cli.test/jobs/nope failed with 404 Not Found: No such job: "
        "Job 'nope' does not exist\n"
    )
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback_and_server_traceback(runner, server) -> None:
    server.routes[("GET", "/jobs/x")] = json_response(
        500, {"title": "Boom", "traceback": "Traceback (server)\n  ZeroDivisionError\n"}
    )
    result = runner.invoke(app, ["job", "x", "--debug"])
    assert result.exit_code == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert "Server traceback:\nTraceback (server)" in result.stderr


def test_debug_from_the_environment(runner, server) -> None:
    server.routes[("GET", "/jobs/x")] = json_response(500, {"title": "Boom"})
    result = runner.invoke(app, ["job", "x"], env={"PROCDECK_DEBUG": "1"})
    assert result.exit_code == 3
    assert "Traceback (most recent call last)" in result.stderr


def test_invalid_answer_exits_3(runner, server) -> None:
    server.routes[("GET", "/processes")] = httpx.Response(200, text="<html>login</html>")
    result = runner.invoke(app, ["processes"])
    assert result.exit_code == 3
    assert "HTML page" in result.stderr


def test_network_error_exits_4_against_a_closed_port(runner) -> None:
    port = closed_port()  # the real client, no mock
    result = runner.invoke(app, ["jobs", "--server-url", f"http://127.0.0.1:{port}"])
    assert result.exit_code == 4
    assert result.stderr.startswith(f"Error: GET http://127.0.0.1:{port}/jobs: cannot connect")
    assert "Traceback" not in result.output


def test_bad_server_url_is_a_usage_error(runner) -> None:
    result = runner.invoke(app, ["processes", "--server-url", "ftp://h.test"])
    assert result.exit_code == 2
    assert "server URL must be an http(s) URL" in result.stderr


def test_unknown_command_is_a_usage_error(runner) -> None:
    assert runner.invoke(app, ["frobnicate"]).exit_code == 2


def test_configure_with_options_writes_a_0600_file(runner, isolated_config) -> None:
    result = runner.invoke(
        app,
        [
            "configure",
            "--server-url",
            "http://h.test:9000",
            "--access-token",
            "s3cr3t",
            "--user-name",
            "bibo",
        ],
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(isolated_config.stat().st_mode) == 0o600
    assert tomllib.loads(isolated_config.read_text()) == {
        "server_url": "http://h.test:9000",
        "access_token": "s3cr3t",
        "user_name": "bibo",
    }
    assert "s3cr3t" not in result.output
    assert f"Saved {isolated_config} (mode 0600)" in result.stdout

    # a later call changes only what it is given
    result = runner.invoke(app, ["configure", "--user-name", "zoe"])
    assert result.exit_code == 0
    assert tomllib.loads(isolated_config.read_text()) == {
        "server_url": "http://h.test:9000",
        "access_token": "s3cr3t",
        "user_name": "zoe",
    }


def test_configure_interactively(runner, isolated_config) -> None:
    result = runner.invoke(app, ["configure"], input="http://prompted.test\nme\nzq-secret\n")
    assert result.exit_code == 0, result.output
    assert tomllib.loads(isolated_config.read_text()) == {
        "server_url": "http://prompted.test",
        "access_token": "zq-secret",
        "user_name": "me",
    }
    assert "zq-secret" not in result.output

    # Enter keeps every current value, the token included
    result = runner.invoke(app, ["configure"], input="\n\n\n")
    assert result.exit_code == 0, result.output
    assert tomllib.loads(isolated_config.read_text())["access_token"] == "zq-secret"


def test_configure_to_an_explicit_path(runner, tmp_path) -> None:
    target = tmp_path / "elsewhere" / "procdeck.toml"
    result = runner.invoke(app, ["configure", "--user-name", "u", "--path", str(target)])
    assert result.exit_code == 0, result.output
    assert tomllib.loads(target.read_text()) == {
        "server_url": "http://127.0.0.1:8008",
        "user_name": "u",
    }


def test_format_table_aligns_and_cuts_long_cells() -> None:
    table = client_cmds.format_table(["a", "bb"], [["x" * 100, None], ["y", {"k": 1}]])
    lines = table.splitlines()
    assert lines[0] == "A" + " " * 61 + "BB"
    assert len(lines[1]) == 60 and lines[1].endswith("…")
    assert lines[2] == "y" + " " * 61 + '{"k": 1}'

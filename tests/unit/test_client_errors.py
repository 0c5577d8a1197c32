"""Every bad answer becomes a ClientError subclass whose message names the URL and the problem."""

from __future__ import annotations

import pickle

import client_support
import httpx
import pydantic
import pytest
from client_support import SERVER, json_response

from procdeck.client import (
    AuthenticationError,
    BadRequestError,
    ClientError,
    ConnectionFailedError,
    HTTPStatusError,
    InvalidResponseError,
    NoSuchJobError,
    NoSuchProcessError,
    NotFoundError,
    RequestTimeoutError,
    ResultNotReadyError,
    ServerError,
)
from procdeck.models import ApiError

client_kind = client_support.client_kind
make_client = client_support.make_client
isolated_config = client_support.isolated_config

OGC = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def answering(response: httpx.Response):
    return lambda request: response


# -- HTTP error statuses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "problem_type", "call", "expected"),
    [
        (404, OGC + "no-such-process", ("get_process", "p"), NoSuchProcessError),
        (404, OGC + "no-such-job", ("get_job", "j"), NoSuchJobError),
        (404, OGC + "result-not-ready", ("get_job_results", "j"), ResultNotReadyError),
        (404, None, ("get_process", "p"), NoSuchProcessError),
        (404, None, ("get_job", "j"), NoSuchJobError),
        (404, None, ("dismiss_job", "j"), NoSuchJobError),
        (404, None, ("get_jobs",), NotFoundError),
        (400, None, ("get_jobs",), BadRequestError),
        (422, None, ("get_jobs",), BadRequestError),
        (401, None, ("get_jobs",), AuthenticationError),
        (403, None, ("get_jobs",), AuthenticationError),
        (409, None, ("dismiss_job", "j"), HTTPStatusError),
        (500, None, ("get_capabilities",), ServerError),
        (503, None, ("get_conformance",), ServerError),
    ],
)
def test_status_and_exception_type_choose_the_class(
    make_client, status, problem_type, call, expected
) -> None:
    problem = {"title": "Something", "status": status, "detail": "went wrong"}
    if problem_type:
        problem["type"] = problem_type
    client = make_client(answering(json_response(status, problem)))
    with pytest.raises(expected) as info:
        getattr(client, call[0])(*call[1:])
    error = info.value
    assert type(error) is expected
    assert error.status == status
    assert (error.title, error.detail, error.type) == ("Something", "went wrong", problem_type)
    assert isinstance(error.problem, ApiError)
    assert SERVER in str(error) and str(status) in str(error)
    assert "Something: went wrong" in str(error)


def test_all_rfc7807_fields_and_the_server_traceback(make_client) -> None:
    problem = {
        "type": OGC + "no-such-job",
        "title": "No such job",
        "status": 404,
        "detail": "Job 'x' does not exist",
        "instance": "/jobs/x",
        "traceback": ["Traceback (most recent call last):\n", "  KeyError: 'x'\n"],
    }
    client = make_client(answering(json_response(404, problem)))
    with pytest.raises(NoSuchJobError) as info:
        client.get_job("x")
    error = info.value
    assert error.instance == "/jobs/x"
    assert error.url == f"{SERVER}/jobs/x"
    assert error.traceback == "Traceback (most recent call last):\n  KeyError: 'x'\n"
    assert str(error) == (
        f"GET {SERVER}/jobs/x failed with 404 Not Found: No such job: Job 'x' does not exist"
    )


def test_fastapi_validation_detail_is_summarised(make_client) -> None:
    detail = [
        {"loc": ["query", "limit"], "msg": "Input should be a valid integer", "type": "int"},
        {"loc": ["query", "status"], "msg": "Input should be 'accepted'", "type": "enum"},
    ]
    client = make_client(answering(json_response(422, {"detail": detail})))
    with pytest.raises(BadRequestError) as info:
        client.get_jobs()
    assert info.value.detail == (
        "query.limit: Input should be a valid integer; query.status: Input should be 'accepted'"
    )


def test_html_error_page_is_summarised(make_client) -> None:
    answer = httpx.Response(502, content=NGINX_502, headers={"Content-Type": "text/html"})
    with pytest.raises(ServerError) as info:
        make_client(answering(answer)).get_processes()
    message = str(info.value)
    assert message.startswith(f"GET {SERVER}/processes failed with 502 Bad Gateway: HTML page:")
    assert "nginx/1.25.3" in message and "<" not in message
    assert info.value.problem is None


def test_plain_text_error(make_client) -> None:
    answer = httpx.Response(500, text="Internal Server Error\n\n  database is locked")
    with pytest.raises(ServerError, match="Internal Server Error database is locked"):
        make_client(answering(answer)).get_jobs()


def test_empty_error_body(make_client) -> None:
    with pytest.raises(AuthenticationError, match="401 Unauthorized: no details given"):
        make_client(answering(httpx.Response(401))).get_jobs()


def test_long_error_text_is_cut(make_client) -> None:
    answer = httpx.Response(500, text="x" * 5000)
    with pytest.raises(ServerError) as info:
        make_client(answering(answer)).get_jobs()
    assert len(str(info.value)) < 400


# -- unusable successful answers --------------------------------------------------------------


def test_html_page_instead_of_json(make_client) -> None:
    page = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Login</body></html>"
    answer = httpx.Response(200, content=page, headers={"Content-Type": "text/html"})
    with pytest.raises(InvalidResponseError) as info:
        make_client(answering(answer)).get_processes()
    assert "expected a ProcessList document as JSON but the server sent an HTML page" in str(
        info.value
    )
    assert "Sign in" in str(info.value)
    assert info.value.status == 200


def test_html_page_sent_as_json(make_client) -> None:
    answer = httpx.Response(
        200, content=b"<html><body>oops</body></html>", headers={"Content-Type": "application/json"}
    )
    with pytest.raises(InvalidResponseError, match="HTML page"):
        make_client(answering(answer)).get_job("j")


def test_malformed_json(make_client) -> None:
    answer = httpx.Response(
        200, content=b'{"jobs": [}', headers={"Content-Type": "application/json"}
    )
    with pytest.raises(InvalidResponseError, match="malformed JSON in a JobList document") as info:
        make_client(answering(answer)).get_jobs()
    assert f"GET {SERVER}/jobs" in str(info.value)


def test_truncated_body(make_client) -> None:
    body = b'{"jobID": "j", "status": "runn'
    answer = httpx.Response(
        200, content=body, headers={"Content-Type": "application/json", "Content-Length": "80"}
    )
    with pytest.raises(InvalidResponseError, match=r"truncated body \(got 30 of 80 bytes\)"):
        make_client(answering(answer)).get_job("j")


def test_empty_body(make_client) -> None:
    with pytest.raises(InvalidResponseError, match="empty body where a LandingPage"):
        make_client(answering(httpx.Response(200))).get_capabilities()


def test_plain_text_instead_of_json(make_client) -> None:
    answer = httpx.Response(200, text="all good", headers={"Content-Type": "text/plain"})
    with pytest.raises(InvalidResponseError, match=r"the server sent text/plain \(all good\)"):
        make_client(answering(answer)).get_conformance()


@pytest.mark.parametrize(
    ("method", "args", "document", "problem"),
    [
        ("get_process", ("p",), {"title": "no id"}, "id: Field required"),
        ("get_processes", (), {"processes": "many"}, "processes: Input should be a valid array"),
        ("get_job", ("j",), {"jobID": "j"}, "status: Field required"),
        ("get_conformance", (), {"conformsTo": [1, 2]}, "conformsTo.0: Input should be a valid"),
        ("get_capabilities", (), [1, 2], "(document): Input should be an object"),
        ("get_jobs", (), {"jobs": [{"status": "x"}]}, "jobs.0.jobID: Field required"),
    ],
)
def test_documents_that_do_not_fit_the_models(make_client, method, args, document, problem):
    client = make_client(answering(json_response(200, document)))
    with pytest.raises(InvalidResponseError) as info:
        getattr(client, method)(*args)
    message = str(info.value)
    assert "document does not fit the standard" in message
    assert problem in message
    assert SERVER in message
    assert not isinstance(info.value, pydantic.ValidationError)
    assert isinstance(info.value.__cause__, type(None) | pydantic.ValidationError)


# -- transport failures simulated by the transport --------------------------------------------


@pytest.mark.parametrize(
    ("raised", "expected", "text"),
    [
        (
            httpx.ConnectError("[Errno -2] Name or service not known"),
            ConnectionFailedError,
            "cannot connect to the server ([Errno -2] Name or service not known)",
        ),
        (httpx.ConnectTimeout("timed out"), RequestTimeoutError, "timed out while connecting"),
        (httpx.ReadTimeout("timed out"), RequestTimeoutError, "waiting for the answer"),
        (
            httpx.ReadError("[Errno 104] Connection reset by peer"),
            ConnectionFailedError,
            "connection failed ([Errno 104] Connection reset by peer)",
        ),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            ConnectionFailedError,
            "connection failed",
        ),
        (
            httpx.RemoteProtocolError(
                "peer closed connection without sending complete message "
                "body: received 10 bytes, expected 80"
            ),
            InvalidResponseError,
            "truncated body",
        ),
        (
            httpx.DecodingError("Error -3 while decompressing"),
            InvalidResponseError,
            "unusable answer",
        ),
        (
            httpx.TooManyRedirects("Exceeded maximum allowed redirects."),
            InvalidResponseError,
            "unusable answer",
        ),
    ],
)
def test_httpx_exceptions_are_translated(make_client, raised, expected, text) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    with pytest.raises(expected) as info:
        make_client(handler).get_jobs(status="running")
    assert type(info.value) is expected
    assert text in str(info.value)
    assert f"GET {SERVER}/jobs?status=running" in str(info.value)
    assert info.value.status is None
    assert info.value.__cause__ is raised


def test_the_token_never_appears_in_errors(make_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    client = make_client(handler, access_token="very-secret", server_url="http://u:pw@h.test")
    with pytest.raises(ClientError) as info:
        client.get_jobs()
    assert "very-secret" not in str(info.value) and "very-secret" not in repr(info.value)
    assert "pw" not in str(info.value)
    assert "http://u:****@h.test/jobs" in str(info.value)


def test_errors_survive_pickling() -> None:
    error = NoSuchJobError(
        "GET x failed", url="http://h/jobs/x", status=404, title="No such job", traceback="tb"
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is NoSuchJobError
    assert (str(copy), copy.status, copy.title, copy.url, copy.traceback) == (
        "GET x failed",
        404,
        "No such job",
        "http://h/jobs/x",
        "tb",
    )

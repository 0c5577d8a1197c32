"""RFC 7807 problem responses for every error the server answers with.

Our own errors raise :class:`ProblemError`; FastAPI's and Starlette's errors
(unknown route 404, 405, request validation) and unexpected exceptions are
translated too, so a client never receives an HTML or plain-text error page.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from procdeck.ogc.vocabulary import (
    EXC_INVALID_INPUT,
    EXC_JOB_DISMISSED,
    EXC_NO_SUCH_JOB,
    EXC_NO_SUCH_PROCESS,
    EXC_OPERATION_NOT_ALLOWED,
    EXC_RESULT_NOT_READY,
    MEDIA_PROBLEM_JSON,
)

__all__ = [
    "INVALID_INPUT",
    "JOB_DISMISSED",
    "NO_SUCH_JOB",
    "NO_SUCH_PROCESS",
    "PROBLEM_JSON",
    "RESULT_NOT_READY",
    "ProblemError",
    "install_error_handlers",
    "problem_response",
]

log = logging.getLogger("procdeck.server")

# the server's names for the standard's words (procdeck.ogc.vocabulary)
PROBLEM_JSON = MEDIA_PROBLEM_JSON
NO_SUCH_PROCESS = EXC_NO_SUCH_PROCESS
NO_SUCH_JOB = EXC_NO_SUCH_JOB
RESULT_NOT_READY = EXC_RESULT_NOT_READY
INVALID_INPUT = EXC_INVALID_INPUT
JOB_DISMISSED = EXC_JOB_DISMISSED
NOT_ALLOWED = EXC_OPERATION_NOT_ALLOWED


class ProblemError(Exception):
    """An error answered as an RFC 7807 problem document.

    ``extensions`` become extra members of the document (``errors``,
    ``traceback``, ``jobID``, ...).
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.headers = headers
        self.extensions = extensions


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    type: str = "about:blank",
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """An ``application/problem+json`` response."""
    body: dict[str, Any] = {"type": type, "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    body.update(extensions)
    return Response(
        content=json.dumps(body, default=str), status_code=status, media_type=PROBLEM_JSON,
        headers=headers,
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status, exc.title, exc.detail, type=exc.type, instance=request.url.path,
        headers=exc.headers, **exc.extensions,
    )


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is no resource at {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(
        exc.status_code, _phrase(exc.status_code), detail, instance=request.url.path,
        headers=getattr(exc, "headers", None),
    )


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "location": ".".join(str(p) for p in error.get("loc", ())),
            "message": error.get("msg", ""),
        }
        for error in exc.errors()
    ]
    detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
    return problem_response(
        400, "Invalid request", detail, instance=request.url.path, errors=errors
    )


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error answering %s %s", request.method, request.url.path)
    return problem_response(
        500, "Internal server error", f"{type(exc).__name__}: {exc}",
        instance=request.url.path,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as ``application/problem+json``."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)

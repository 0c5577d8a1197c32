"""Helpers shared by the routers: JSON responses, OpenAPI response documentation, finding a
job by id, and waiting until a job change is saved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fastapi.responses import Response

from procdeck.ogc.models import ApiError
from procdeck.ogc.vocabulary import MEDIA_JSON
from procdeck.server.errors import NO_SUCH_JOB, PROBLEM_JSON, ProblemError
from procdeck.server.paths import is_job_id
from procdeck.server.store import StoreWriteError

if TYPE_CHECKING:
    from procdeck.server.jobs import Job
    from procdeck.server.results import RenderedResults
    from procdeck.server.state import ServerState
    from procdeck.server.store import JobStore

JSON = MEDIA_JSON


def json_response(
    content: str | bytes, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A response with a body that is already JSON text."""
    return Response(content=content, status_code=status_code, media_type=JSON, headers=headers)


def job_or_404(state: ServerState, job_id: str) -> Job:
    """The job, or a 404 ``no-such-job`` problem (at once for a text not shaped like a job id)."""
    job = state.manager.get(job_id) if is_job_id(job_id) else None
    if job is None:
        shown = job_id if len(job_id) <= 100 else job_id[:100] + "..."
        raise ProblemError(
            404, "No such job", f"There is no job with id {shown!r}", type=NO_SUCH_JOB
        )
    return job


def results_response(
    rendered: RenderedResults, headers: Mapping[str, str] | None = None
) -> Response:
    """A rendered results answer, with ``headers`` and then the answer's own (``Link``...)."""
    response = Response(content=rendered.body, status_code=rendered.status,
                        media_type=rendered.media_type, headers=dict(headers or {}))
    for name, value in rendered.headers:
        response.headers.append(name, value)
    return response


def job_failed(job: Job, headers: dict[str, str] | None = None) -> ProblemError:
    """The 500 problem of a failed job: its stored error (title, detail, type, traceback)."""
    members = job.failure_problem()
    return ProblemError(
        500, members.pop("title"), members.pop("detail", None), type=members.pop("type"),
        headers=headers, **members,
    )


def problem(description: str) -> dict[str, Any]:
    """OpenAPI documentation of an RFC 7807 error response."""
    return {"model": ApiError, "description": description, "content": {PROBLEM_JSON: {}}}


def link(href: str, rel: str, title: str, type_: str = JSON) -> dict[str, str]:
    """A link object with the fields the seed shows."""
    return {"href": href, "hreflang": "en", "rel": rel, "title": title, "type": type_}


RESULTS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The results as the execute request asked: a results document "
                       "(`response: document`), one output's raw value, or several as "
                       "`multipart/related`",
        "content": {
            JSON: {"schema": {"description": "A results document (output id -> value) "
                                             "or one output's raw JSON value"}},
            "multipart/related": {"schema": {"type": "string", "format": "binary"}},
            "*/*": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    204: {"description": "Every output by reference (raw): one `Link` header per output"},
}
"""OpenAPI documentation of a results answer (synchronous execution and ``/results``)."""

_API_ERROR_REF = {"$ref": "#/components/schemas/ApiError"}


def _problem_doc(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": _API_ERROR_REF}}}


def document_problems(schema: dict[str, Any], *, token_required: bool,
                      public_paths: frozenset[str]) -> None:
    """Make the OpenAPI document tell the truth about errors (changes ``schema`` in place).

    Problem responses are ``application/problem+json`` with the ``ApiError``
    schema (FastAPI would list them under ``application/json``); every
    operation may answer 500; with a token, every protected operation says
    it needs one (bearer security, 401).
    """
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("500", _problem_doc("Unexpected server error"))
            if token_required and path not in public_paths:
                responses["401"] = _problem_doc("Missing or wrong access token")
                operation["security"] = [{"bearerAuth": []}]
            for response in responses.values():
                content = response.get("content") or {}
                if PROBLEM_JSON in content:
                    body_schema = (content.get(JSON) or {}).get("schema") or _API_ERROR_REF
                    response["content"] = {PROBLEM_JSON: {"schema": body_schema}}
    if token_required:
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {})["bearerAuth"] = {
            "type": "http", "scheme": "bearer",
            "description": "The token of `procdeck serve --token-file`",
        }


async def durable(store: JobStore, job_id: str) -> None:
    """Wait until the job's latest change is committed; 503 when the store failed."""
    try:
        await store.committed()
    except StoreWriteError as exc:
        raise ProblemError(
            503, "Job store unavailable", f"Job {job_id} could not be saved: {exc}",
            jobID=job_id,
        ) from exc

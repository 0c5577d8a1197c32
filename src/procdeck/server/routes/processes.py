"""``/processes``, ``/processes/{processID}`` and ``POST /processes/{processID}/execution``."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from procdeck.ogc.models import JobInfo, ProcessDescription, ProcessList
from procdeck.ogc.requests import ExecuteBody, RequestError, execute_document
from procdeck.ogc.vocabulary import (
    MEDIA_JSON,
    PREFER_ASYNC,
    PREFER_SYNC,
    REL_MONITOR,
    REL_NEXT,
    REL_SELF,
    JobStatus,
)
from procdeck.server.callbacks import parse_subscriber
from procdeck.server.errors import (
    INVALID_INPUT,
    JOB_DISMISSED,
    NO_SUCH_PROCESS,
    ProblemError,
    problem_response,
)
from procdeck.server.jobs import Job, JobManager
from procdeck.server.registry import MAX_PROBLEMS, InputProblem, RegisteredProcess
from procdeck.server.results import ResultsRequest, render_results
from procdeck.server.routes._responses import (
    RESULTS_RESPONSES,
    durable,
    job_failed,
    json_response,
    link,
    problem,
    results_response,
)
from procdeck.server.security import DEFAULT_MAX_JSON_DEPTH, check_json_depth
from procdeck.server.state import ServerState, StateDep, base_url, state_of

router = APIRouter(tags=["Processes"])

def process_or_404(state: ServerState, process_id: str) -> RegisteredProcess:
    """The registered process, or a 404 ``no-such-process`` problem."""
    process = state.registry.get(process_id)
    if process is None:
        raise ProblemError(
            404, "No such process", f"There is no process with id {process_id!r}",
            type=NO_SUCH_PROCESS,
        )
    return process


MAX_PROCESS_LIMIT = 10000


@router.get(
    "/processes",
    name="get_processes",
    summary="List the processes",
    response_model=None,
    responses={
        200: {"model": ProcessList,
              "description": "Summaries of the processes; a `next` link pages on with `limit`"},
        400: problem("Invalid `limit` or `after`"),
    },
)
async def get_processes(
    request: Request,
    state: StateDep,
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_PROCESS_LIMIT, description="Processes per page")
    ] = None,
    after: Annotated[
        str | None, Query(description="Continue after this process id (from the `next` link)")
    ] = None,
) -> Response:
    """The summaries of the processes this server offers, in a stable order.

    Without ``limit`` every process (one cached body); with it at most ``limit``, and a
    ``next`` link to the rest (/req/core/pl-limit-definition, pl-limit-response).
    """
    base = base_url(request)
    if limit is None and after is None:
        key = ("processes", base)
        body = state.cache.get(key)
        if body is None:
            document = {
                "links": [link(f"{base}/processes", REL_SELF, "get_processes")],
                "processes": [process.summary for process in state.registry],
            }
            body = state.cache[key] = json.dumps(document).encode()
        return json_response(body)
    processes = list(state.registry)
    start = 0
    if after is not None:
        ids = [process.id for process in processes]
        if after not in ids:
            raise ProblemError(400, "Invalid request",
                               f"'after' must be a process id of this server, not {after[:100]!r}")
        start = ids.index(after) + 1
    end = len(processes) if limit is None else start + limit
    page = processes[start:end]
    query = request.url.query
    links = [link(f"{base}/processes" + (f"?{query}" if query else ""), REL_SELF, "get_processes")]
    if end < len(processes) and page:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
        params.append(("after", page[-1].id))
        links.append(link(f"{base}/processes?{urlencode(params)}", REL_NEXT, "next page"))
    return json_response(json.dumps(
        {"links": links, "processes": [process.summary for process in page]}).encode())


@router.get(
    "/processes/{processID}",
    name="get_process",
    summary="Describe a process",
    response_model=None,
    responses={
        200: {"model": ProcessDescription, "description": "The process description"},
        404: problem("No such process"),
    },
)
async def get_process(processID: str, state: StateDep) -> Response:
    """The full description of one process: its inputs and outputs with their schemas."""
    key = ("process", processID)
    body = state.cache.get(key)
    if body is None:
        process = process_or_404(state, processID)
        body = state.cache[key] = json.dumps(process.description).encode()
    return json_response(body)


def _parse_request(body: bytes, max_depth: int = DEFAULT_MAX_JSON_DEPTH) -> ExecuteBody:
    """The execute request in ``body``, checked by :func:`procdeck.ogc.requests.execute_document`.

    That is also where the non-standard ``"mode": "async"`` of older clients is honoured.
    """
    if not body:  # no body at all: the process's defaults (whitespace is no JSON document)
        return execute_document(None)
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ProblemError(400, "Invalid request", f"The body is not valid JSON: {exc}") from exc
    except RecursionError as exc:  # nesting deeper than the parser's stack
        raise ProblemError(
            400, "Invalid request", f"The JSON body nests deeper than {max_depth} levels"
        ) from exc
    check_json_depth(document, max_depth)
    try:
        return execute_document(document)
    except RequestError as exc:
        raise ProblemError(400, "Invalid request", str(exc)) from None


_MESSAGE_LIMIT = 300


def _short(text: str) -> str:
    # jsonschema quotes the whole bad value: a huge value must not make a huge answer
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "..."


def _invalid_inputs(problems: list[InputProblem]) -> ProblemError:
    """The 400 naming every bad input (each message shortened, at most MAX_PROBLEMS)."""
    errors = [{k: _short(v) for k, v in p.to_dict().items()} for p in problems[:MAX_PROBLEMS]]
    detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
    if len(problems) >= MAX_PROBLEMS:
        detail += f"; (checking stopped after {MAX_PROBLEMS} problems)"
    return ProblemError(400, "Invalid inputs", detail, type=INVALID_INPUT, errors=errors)


def _check_outputs(process: RegisteredProcess, outputs: Any) -> None:
    """400 unless ``outputs`` names outputs of the process, each with an offered transmission."""
    if outputs is None:
        return
    if not isinstance(outputs, dict):
        raise ProblemError(400, "Invalid request", "'outputs' must be an object")
    unknown = sorted(set(outputs) - set(process.output_ids))
    if unknown:
        raise ProblemError(
            400, "Invalid outputs", f"Unknown output(s) {_short(str(unknown))}; "
            f"process {process.id!r} has {list(process.output_ids)}", type=INVALID_INPUT,
        )
    for name, spec in outputs.items():
        if spec is None:
            continue
        if not isinstance(spec, dict):
            raise ProblemError(400, "Invalid request", f"outputs[{name!r}] must be an object")
        mode = spec.get("transmissionMode", "value")
        if mode not in process.output_transmission:
            raise ProblemError(
                400, "Invalid outputs",
                f"outputs[{name!r}]: transmissionMode {_short(repr(mode))} is not offered; "
                f"process {process.id!r} offers {list(process.output_transmission)}",
                type=INVALID_INPUT,
            )


def _wants_async(request: Request, execute: ExecuteBody) -> bool:
    prefer = request.headers.get("prefer", "")
    return PREFER_ASYNC in prefer.lower() or execute.asks_async


_EXECUTE_BODY = {
    "required": True,
    "content": {MEDIA_JSON: {"schema": {"$ref": "#/components/schemas/ProcessRequest"}}},
}


@router.post(
    "/processes/{processID}/execution",
    name="execute_process",
    summary="Execute a process",
    status_code=201,
    response_model=None,
    openapi_extra={"requestBody": _EXECUTE_BODY},
    responses={
        201: {
            "model": JobInfo,
            "description": "Job created (asynchronous execution); its URL is in `Location`",
        },
        **RESULTS_RESPONSES,  # synchronous execution, for processes that allow it
        400: problem("Invalid request or inputs: every bad input is named, or JSON nested "
                     "too deep; or a subscriber URI that is not http(s), or whose host the "
                     "server does not allow for callbacks (`--callback-host`)"),
        404: problem("No such process"),
        410: problem("Synchronous execution: the job was dismissed before it finished"),
        413: problem("The body is larger than the server's limit (`--max-body-size`)"),
        415: problem("The body is not JSON"),
        500: problem("Synchronous execution: the job failed (its error)"),
        503: problem("The job could not be saved to the job store"),
    },
)
async def execute_process(processID: str, request: Request) -> Response:
    """Execute a process with the given inputs.

    Asynchronously (201, status info, ``Location`` of the job) when the client
    sends ``Prefer: respond-async`` or the process only allows async-execute;
    synchronously (200 with the results) when the process allows sync-execute
    and the client did not ask for async. Inputs are checked before a job is
    created: 400 names every bad input.

    A ``subscriber`` (callback URIs, conformance class ``callback``) is
    checked before the job is created too: only ``http``/``https`` URIs to
    the hosts the operator allowed (``procdeck serve --callback-host``).

    For older clients the body may also say ``"mode": "async"`` (a member of
    drafts of the standard), taken as ``Prefer: respond-async``.
    """
    state = state_of(request)  # no dependency resolution on this hot route
    process = process_or_404(state, processID)
    body = await request.body()
    settings = getattr(request.app.state, "security", None)  # absent in a bare router's app
    execute = _parse_request(body, settings.max_json_depth if settings else DEFAULT_MAX_JSON_DEPTH)
    document = execute.document
    kwargs, problems = process.prepare(document.get("inputs") or {})
    if problems:
        raise _invalid_inputs(problems)
    _check_outputs(process, document.get("outputs"))
    base = base_url(request)
    subscription = parse_subscriber(document.get("subscriber"), state.callbacks, base)
    manager = state.manager
    job = manager.submit(process, kwargs, body.decode("utf-8", "replace") if body else "{}",
                         subscription, base_url=base)
    await durable(manager.store, job.id)  # acknowledged means saved: nothing lost to a crash
    location = f"{base}/jobs/{job.id}"
    wants_async = _wants_async(request, execute)
    if process.allows_sync and (not wants_async or not process.allows_async):
        # a client that asked for it (OWSLib sends ``respond-sync``) hears it was applied
        applied = PREFER_SYNC in request.headers.get("prefer", "").lower()
        return await _respond_sync(manager, job, document, location, applied)
    headers = {"Location": location}
    if wants_async:
        headers["Preference-Applied"] = PREFER_ASYNC
    return json_response(manager.status_json(job), 201, headers)


async def _respond_sync(
    manager: JobManager,
    job: Job,
    document: dict[str, Any],
    location: str,
    applied: bool = False,
) -> Response:
    """Run the job to its end and answer with its results as the request asks.

    200 with a results document or the raw value(s), 204 with ``Link``
    headers when every output is by reference (see :mod:`procdeck.server.results`);
    ``Location`` and a ``monitor`` link name the job, whose results stay
    readable at ``/jobs/{id}/results``.
    """
    await manager.wait(job)
    await durable(manager.store, job.id)
    headers = {"Location": location, "Link": f'<{location}>; rel="{REL_MONITOR}"'}
    if applied:
        headers["Preference-Applied"] = PREFER_SYNC
    if job.status == JobStatus.SUCCESSFUL:
        process = manager.registry.get(job.process_id)
        rendered = render_results(manager.results(job) or {},
                                  process.output_descriptions if process else {},
                                  ResultsRequest.of(document), location)
        return results_response(rendered, headers)
    if job.status == JobStatus.DISMISSED:
        return problem_response(
            410, "Job dismissed", f"Job {job.id} was dismissed before it finished",
            type=JOB_DISMISSED, headers=headers, jobID=job.id,
        )
    raise job_failed(job, headers)

"""``/jobs``, ``/jobs/{jobId}`` (GET, DELETE = dismiss), ``/jobs/{jobId}/results`` and
``/jobs/{jobId}/callbacks`` (procdeck's own: the job's callback delivery attempts)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from procdeck.ogc.models import JobInfo, JobList
from procdeck.ogc.vocabulary import JOB_STATES, REL_NEXT, REL_SELF, JobStatus
from procdeck.server.errors import (
    JOB_DISMISSED,
    NOT_ALLOWED,
    RESULT_NOT_READY,
    ProblemError,
)
from procdeck.server.jobs import (
    Job,
    JobNotDismissable,
    format_time,
)
from procdeck.server.results import RenderedResults, ResultsRequest, one_output, render_results
from procdeck.server.routes._responses import (
    JSON,
    RESULTS_RESPONSES,
    durable,
    job_failed,
    job_or_404,
    json_response,
    link,
    problem,
    results_response,
)
from procdeck.server.state import ServerState, StateDep, base_url, state_of

router = APIRouter(tags=["Jobs"])

_STATUS_VALUES = [state.value for state in JOB_STATES]
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000


def _split(values: list[str] | None) -> list[str] | None:
    """Accept both repeated parameters and comma-separated lists."""
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _cursor(after: str | None) -> int:
    if after is None:
        return -1
    number = after.removeprefix("job_")
    if not number.isdigit():
        raise ProblemError(400, "Invalid request", f"'after' must be a job id, not {after!r}")
    return int(number)


def _instant(text: str) -> str | None:
    text = text.strip()
    if text in ("", ".."):
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ProblemError(
            400, "Invalid request", f"'datetime' has an invalid date-time {text!r}"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return format_time(moment)


def _interval(value: str | None) -> tuple[str | None, str | None]:
    """``datetime`` as inclusive (from, to) creation-time bounds."""
    if value is None:
        return None, None
    if "/" in value:
        start, _, end = value.partition("/")
        return _instant(start), _instant(end)
    moment = _instant(value)
    return moment, moment


@router.get(
    "/jobs",
    name="get_jobs",
    summary="List the jobs",
    response_model=None,
    responses={
        200: {"model": JobList, "description": "Jobs in creation order; `next` link to page"},
        400: problem("Invalid filter"),
    },
)
async def get_jobs(
    request: Request,
    state: StateDep,
    processID: Annotated[
        list[str] | None, Query(description="Only jobs of these processes")
    ] = None,
    status: Annotated[
        list[str] | None,
        Query(description="Only jobs in these states (repeat, or separate with commas)",
              json_schema_extra={"items": {"type": "string", "enum": _STATUS_VALUES}}),
    ] = None,
    type: Annotated[
        list[str] | None, Query(description="Only jobs of these types (all are `process`)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Jobs per page")] = DEFAULT_LIMIT,
    after: Annotated[
        str | None,
        Query(description="Continue after this job id (from the `next` link)",
              pattern=r"^(job_)?[0-9]{1,18}$"),
    ] = None,
    datetime: Annotated[
        str | None,
        Query(description="Creation time: an instant or an interval `start/end` (`..` = open)"),
    ] = None,
    minDuration: Annotated[
        float | None, Query(ge=0, description="Only jobs that ran at least this many seconds")
    ] = None,
    maxDuration: Annotated[
        float | None, Query(ge=0, description="Only jobs that ran at most this many seconds")
    ] = None,
) -> Response:
    """The jobs, oldest first, filtered by process, status and type; ``next`` links page on."""
    # Exact values only (no blanks, no padding): what the document's enum says.
    statuses = [part for value in status for part in value.split(",")] if status else None
    if statuses:
        unknown = sorted(set(statuses) - set(_STATUS_VALUES))
        if unknown:
            raise ProblemError(
                400, "Invalid request",
                f"Unknown status value(s) {str(unknown)[:300]}; use {sorted(_STATUS_VALUES)}",
            )
    types = _split(type)
    base = base_url(request)
    query = request.url.query
    links = [link(f"{base}/jobs" + (f"?{query}" if query else ""), REL_SELF, "get_jobs")]
    if types is not None and "process" not in types:
        page, next_after = [], None
    else:
        created_from, created_to = _interval(datetime)
        page, next_after = state.manager.page(
            process_ids=_split(processID), statuses=statuses, after_seq=_cursor(after),
            limit=limit, created_from=created_from, created_to=created_to,
            min_duration=minDuration, max_duration=maxDuration,
        )
    if next_after is not None:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
        params.append(("after", f"job_{next_after}"))
        links.append(link(f"{base}/jobs?{urlencode(params)}", REL_NEXT, "next page"))
    body = '{"jobs":[' + ",".join(page) + '],"links":' + json.dumps(links) + "}"
    return json_response(body)


@router.get(
    "/jobs/{jobId}",
    name="get_job",
    summary="Status of a job",
    response_model=None,
    responses={200: {"model": JobInfo, "description": "Status info"}, 404: problem("No such job")},
)
async def get_job(jobId: str, request: Request) -> Response:
    """The status of one job: status, progress, message and timestamps."""
    state = state_of(request)  # no dependency resolution on this hot route
    job = job_or_404(state, jobId)
    return json_response(state.manager.status_json(job))


@router.delete(
    "/jobs/{jobId}",
    name="dismiss_job",
    summary="Dismiss a job",
    response_model=None,
    responses={
        200: {"model": JobInfo, "description": "Status info with status `dismissed`"},
        403: problem("The process does not allow dismissing a running job"),
        404: problem("No such job"),
    },
)
async def dismiss_job(jobId: str, state: StateDep) -> Response:
    """Dismiss a job.

    An accepted or running job is stopped (a cooperative process stops at its
    next progress report), its status becomes ``dismissed`` and any results are
    dropped; it stays in the job list as dismissed. A finished job (successful,
    failed or already dismissed) is removed with its results and its files
    (``/jobs/{jobId}/files/...``): it then answers 404.
    """
    job = job_or_404(state, jobId)
    try:
        info, removed = state.manager.dismiss(job)
    except JobNotDismissable as exc:
        raise ProblemError(
            403, "Dismiss not allowed",
            f"Process {exc.args[0]!r} does not allow dismissing a running job",
            type=NOT_ALLOWED,
        ) from exc
    await durable(state.manager.store, job.id)
    if removed:
        await run_in_threadpool(state.manager.remove_files, job)
    return json_response(json.dumps(info))


@router.get(
    "/jobs/{jobId}/results",
    name="get_job_results",
    summary="Results of a job",
    response_model=None,
    responses={
        **RESULTS_RESPONSES,
        404: problem("No such job, or the job has not finished (result-not-ready)"),
        410: problem("The job was dismissed: it has no results"),
        500: problem("The job failed: its error, with the traceback"),
    },
)
async def get_job_results(jobId: str, request: Request) -> Response:
    """The results of a successful job, as its execute request asked; for a failed job, its error.

    ``response: "document"`` gives a results document; ``"raw"`` (the
    standard's default) one output as itself, several as ``multipart/related``,
    outputs all by reference as 204 with ``Link`` headers (see
    :mod:`procdeck.server.results`).
    """
    state = state_of(request)
    job = job_or_404(state, jobId)
    if job.status == JobStatus.SUCCESSFUL:
        return results_response(await _rendered(state, job, base_url(request)))
    raise _not_successful(job)


@router.get(
    "/jobs/{jobId}/results/{outputId}",
    name="get_job_output",
    summary="One output of a job",
    response_model=None,
    responses={
        200: {"description": "The output's value, in its media type",
              "content": {"*/*": {"schema": {"type": "string", "format": "binary"}},
                          JSON: {"schema": {}}}},
        303: {"description": "The output is a file the job wrote: `Location` is its URL"},
        404: problem("No such job or output, or the job has not finished (result-not-ready)"),
        410: problem("The job was dismissed: it has no results"),
        500: problem("The job failed: its error, with the traceback"),
    },
)
async def get_job_output(jobId: str, outputId: str, request: Request) -> Response:
    """One output's raw value: where outputs sent by reference point.

    An output that is a link to a file the job wrote answers 303 to the file.
    """
    state = state_of(request)
    job = job_or_404(state, jobId)
    if job.status != JobStatus.SUCCESSFUL:
        raise _not_successful(job)
    outputs, descriptions = await _outputs(state, job)
    return results_response(one_output(outputs, descriptions, outputId, job.id))


async def _outputs(state: ServerState, job: Job) -> tuple[dict[str, Any], dict[str, Any]]:
    """A successful job's outputs (read from disk off the event loop if needed) and their
    descriptions."""
    outputs = job.results
    if outputs is None:
        outputs = await run_in_threadpool(state.manager.results, job)
    if outputs is None:
        raise ProblemError(500, "Results missing", f"The results of {job.id} were not stored")
    process = state.manager.registry.get(job.process_id)
    return outputs, process.output_descriptions if process is not None else {}


async def _rendered(state: ServerState, job: Job, base: str) -> RenderedResults:
    """The job's results answer, made once per base URL (a job's request never changes)."""
    cached = job.rendered
    if cached is not None and cached[0] == base:
        return cached[1]
    outputs, descriptions = await _outputs(state, job)
    text = job.request
    if text is None:  # a job from before a restart: its request is on disk
        text = await run_in_threadpool(state.manager.store.load_request, job.seq)
    rendered = render_results(outputs, descriptions, ResultsRequest.of_text(text),
                              f"{base}/jobs/{job.id}")
    job.rendered = (base, rendered)
    return rendered


class CallbackAttemptInfo(BaseModel):
    """One callback delivery attempt (``attempt`` 0: given up on before any attempt)."""

    kind: str = Field(description="`success`, `failed` or `inProgress`")
    uri: str
    attempt: int = Field(ge=0, description="1 for the first try, 2 for the first retry...")
    time: str = Field(description="When the attempt ended (UTC)")
    status: int | None = Field(description="The receiver's HTTP status; null: no answer")
    error: str | None = Field(description="Why it failed; null when delivered")
    delivered: bool = Field(description="True when the receiver answered 2xx")


class CallbackLog(BaseModel):
    """A job's subscriber and every callback delivery attempt, oldest first."""

    jobID: str
    subscriber: dict[str, str] | None = Field(
        description="The execute request's subscriber URIs (standard spelling); null: none")
    attempts: list[CallbackAttemptInfo]


@router.get(
    "/jobs/{jobId}/callbacks",
    name="get_job_callbacks",
    summary="Callback deliveries of a job",
    response_model=None,
    responses={200: {"model": CallbackLog, "description": "The job's callback attempts"},
               404: problem("No such job")},
)
async def get_job_callbacks(jobId: str, request: Request) -> Response:
    """Where the job's callbacks went, and how each delivery attempt ended.

    Not part of OGC API - Processes: procdeck records every attempt to POST to
    the execute request's ``subscriber`` URIs (HTTP status or error, retries
    included, and notices dropped or abandoned at shutdown) with the job.
    """
    state = state_of(request)
    job = job_or_404(state, jobId)
    subscriber = job.subscription.to_dict() if job.subscription is not None else None
    if subscriber is None:
        subscriber = await run_in_threadpool(_stored_subscriber, state, job)
    attempts = await run_in_threadpool(state.manager.store.callback_attempts, job.seq)
    return json_response(json.dumps(
        {"jobID": job.id, "subscriber": subscriber, "attempts": attempts}))


def _stored_subscriber(state: ServerState, job: Job) -> dict[str, str] | None:
    """The subscriber of the job's stored request (a job from before a restart), if any."""
    text = job.request if job.request is not None else state.manager.store.load_request(job.seq)
    try:
        document = json.loads(text) if text else None
    except ValueError:
        return None
    subscriber = document.get("subscriber") if isinstance(document, dict) else None
    if not isinstance(subscriber, dict):
        return None
    return {str(k): v for k, v in subscriber.items() if isinstance(v, str)}


def _not_successful(job: Job) -> Exception:
    """The answer for the results of a job that is not successful (failed, dismissed, running)."""
    status = job.status
    if status == JobStatus.FAILED:
        return job_failed(job)
    if status == JobStatus.DISMISSED:
        return ProblemError(
            410, "Job dismissed", f"Job {job.id} was dismissed: it has no results",
            type=JOB_DISMISSED,
        )
    return ProblemError(
        404, "Result not ready", f"Job {job.id} is {status}: its results are not ready yet",
        type=RESULT_NOT_READY,
    )

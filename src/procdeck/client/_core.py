"""The one place that knows every endpoint of OGC API - Processes.

:class:`ClientCore` builds each request (method, URL, query, headers, body),
interprets each answer (status -> exception, JSON -> model, ``Location``,
synchronous 200/204 results) and runs the multi-step operations (paging,
polling, execute-wait-fetch) as *flows* (see :mod:`procdeck.client._protocol`).
:class:`~procdeck.client.Client` and :class:`~procdeck.client.AsyncClient` only send.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from procdeck.client._paging import Pager, merged
from procdeck.client._protocol import Call, Flow, Notify, Sleep
from procdeck.client._responses import (
    body_results,
    describe_validation_error,
    is_json_type,
    is_multipart,
    job_id_from_location,
    link_results,
    looks_like_status,
    media_type,
    parse_document,
    raise_for_status,
    read_json,
    where,
)
from procdeck.client.config import MASK, ClientConfig
from procdeck.client.errors import (
    ClientError,
    InvalidRequestError,
    InvalidResponseError,
    JobFailedError,
    NoSuchJobError,
    NoSuchProcessError,
    NotFoundError,
    WaitTimeoutError,
)
from procdeck.ogc.models import (
    ApiError,
    ConformanceDeclaration,
    JobInfo,
    JobList,
    JobResults,
    JobStatus,
    LandingPage,
    OGCModel,
    ProcessDescription,
    ProcessList,
    ProcessRequest,
    Subscriber,
)
from procdeck.ogc.requests import RequestError
from procdeck.ogc.requests import request_document as ogc_request_document
from procdeck.ogc.vocabulary import MEDIA_JSON, PREFER_ASYNC

M = TypeVar("M", bound=OGCModel)

DEFAULT_POLL_INTERVAL = 0.2
DEFAULT_MAX_INTERVAL = 2.0
_BACKOFF = 1.5
_SYNC_JOB_PREFIX = "sync-"
_JSON_OR_ANY = f"{MEDIA_JSON}, */*;q=0.5"
_JOBS_REMEMBERED = 50_000  # job id -> process id entries kept for reading raw results

RequestLike = ProcessRequest | Mapping[str, Any] | BaseModel | None
SubscriberLike = Subscriber | Mapping[str, Any] | None
ExecutionMode = Literal["async", "sync"]
_EXECUTION_MODES = frozenset({"async", "sync"})
Strings = str | Iterable[str] | None
DateTimeFilter = str | datetime | tuple[datetime | str | None, datetime | str | None] | None


@dataclass(slots=True)
class _LocalJob:
    """A job the server ran synchronously: its status and results live in the client.

    ``on_server``: the server named the job (``Location``), so it is listed and
    dismissed there too; otherwise its id is the client's own (``sync-...``).
    """

    info: JobInfo
    results: JobResults
    on_server: bool = False


def _origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    parsed = httpx.URL(str(url))
    return parsed.scheme, parsed.host, parsed.port


def _path_segment(value: str) -> str:
    """``value`` quoted as one path segment; "." and ".." too (else URLs drop them)."""
    quoted = quote(str(value), safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _as_list(value: Strings) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _datetime_param(value: DateTimeFilter) -> str | None:
    def one(item: datetime | str | None) -> str:
        if item is None or item == "":
            return ".."
        return item.isoformat() if isinstance(item, datetime) else str(item)

    if value is None:
        return None
    if isinstance(value, tuple):
        start, end = value
        return f"{one(start)}/{one(end)}"
    return one(value)


@dataclass(frozen=True, slots=True)
class JobQuery:
    """The filters of one ``GET /jobs`` listing, as query parameters and as a test on a job."""

    process_ids: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    lists_local_jobs: bool = True
    """False when filtering by time or duration: jobs kept by the client are not listed then."""

    @classmethod
    def of(
        cls,
        process_id: Strings = None,
        status: Strings = None,
        type: Strings = None,
        datetime: DateTimeFilter = None,
        min_duration: int | None = None,
        max_duration: int | None = None,
    ) -> JobQuery:
        """The query for the standard filters (one value or several for the first three)."""
        process_ids, statuses, types = _as_list(process_id), _as_list(status), _as_list(type)
        params: list[tuple[str, str]] = [("processID", p) for p in process_ids]
        params += [("status", s) for s in statuses]
        params += [("type", t) for t in types]
        when = _datetime_param(datetime)
        if when is not None:
            params.append(("datetime", when))
        if min_duration is not None:
            params.append(("minDuration", str(min_duration)))
        if max_duration is not None:
            params.append(("maxDuration", str(max_duration)))
        local = when is None and min_duration is None and max_duration is None
        return cls(tuple(process_ids), tuple(statuses), tuple(types), tuple(params), local)

    def matches(self, info: JobInfo) -> bool:
        """Whether ``info`` passes the process, status and type filters."""
        return (
            (not self.process_ids or info.processID in self.process_ids)
            and (not self.statuses or str(info.status) in {str(s) for s in self.statuses})
            and (not self.types or info.type in self.types)
        )


def request_document(request: RequestLike, subscriber: SubscriberLike = None) -> dict[str, Any]:
    """The execute body for ``request`` (see :func:`procdeck.ogc.requests.request_document`).

    ``subscriber`` (a :class:`Subscriber` or a dict) becomes the request's
    subscriber; a request that already has a different one is refused.
    Raises :class:`InvalidRequestError`.
    """
    try:
        if subscriber is None:
            return ogc_request_document(request)
        return ogc_request_document(request, subscriber=subscriber)
    except RequestError as exc:
        raise InvalidRequestError(str(exc)) from None


def _is_status_answer(response: httpx.Response, location_id: str | None) -> bool:
    """Whether a 200 answer to an execution is a job's status (else: results of a sync run)."""
    content = response.content.lstrip()
    if not content:
        return location_id is not None
    if content[:1] != b"{":
        return False
    try:
        return looks_like_status(json.loads(content))
    except ValueError:
        return False  # read as results, which reports the malformed JSON


def _wrap_bare_list(key: str) -> Callable[[Any], Any]:
    # Some servers answer /jobs or /processes with a bare JSON array.
    def coerce(data: Any) -> Any:
        return {key: data} if isinstance(data, list) else data

    return coerce


class ClientCore:
    """Requests and their interpretation, shared by the sync and the async client."""

    def __init__(self, config: ClientConfig) -> None:
        from procdeck import __version__

        self.config = config
        self._base = config.server_url.rstrip("/")
        self._origin = _origin(self._base)
        self._headers = {"Accept": MEDIA_JSON, "User-Agent": f"procdeck/{__version__}"}
        token = config.access_token.get_secret_value() if config.access_token else None
        self._auth = {"Authorization": f"Bearer {token}"} if token else {}
        self._token = token
        self._local_jobs: dict[str, _LocalJob] = {}
        self._only_outputs: dict[str, str | None] = {}  # process id -> its only output id
        self._output_ids: dict[str, tuple[str, ...]] = {}  # process id -> its output ids
        self._job_processes: dict[str, str] = {}  # job id -> process id, as last seen
        self._document_jobs: set[str] = set()  # jobs this client asked for a results document
        self._lock = threading.Lock()

    def scrub(self, error: ClientError) -> None:
        """Mask the access token wherever it shows in ``error`` (a server may echo it back)."""
        token = self._token
        if not token:
            return

        def clean(value: Any) -> Any:
            return value.replace(token, MASK) if isinstance(value, str) else value

        error.args = tuple(clean(arg) for arg in error.args)
        for name in ("message", "url", "type", "title", "detail", "instance", "traceback"):
            setattr(error, name, clean(getattr(error, name, None)))
        if error.problem is not None:
            text = error.problem.model_dump_json(by_alias=True)
            escaped = json.dumps(token)[1:-1]
            if escaped in text:
                error.problem = ApiError.model_validate_json(text.replace(escaped, MASK))

    # -- building requests ------------------------------------------------------------------

    def url(self, *segments: str) -> str:
        """The absolute URL of an endpoint below the server URL, path segments quoted."""
        return "/".join([self._base, *(_path_segment(s) for s in segments)]) + (
            "" if segments else "/"
        )

    def call(
        self,
        method: str,
        url: str,
        params: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Call:
        """A request with the default headers; the token goes only to the server's own origin."""
        merged = dict(self._headers)
        if self._auth and _origin(url) == self._origin:
            merged.update(self._auth)
        if headers:
            merged.update(headers)
        content = None
        if body is not None:
            content = json.dumps(body, separators=(",", ":")).encode()
            merged["Content-Type"] = MEDIA_JSON
        return Call(method, url, list(params), merged, content)

    def _document(
        self,
        call: Call,
        response: httpx.Response,
        model: type[M],
        not_found: type[NotFoundError] = NotFoundError,
        coerce: Callable[[Any], Any] | None = None,
    ) -> M:
        raise_for_status(call, response, not_found)
        return parse_document(call, response, model, coerce)

    # -- discovery --------------------------------------------------------------------------

    def get_capabilities(self) -> Flow[LandingPage]:
        """``GET /``: the landing page."""
        call = self.call("GET", self.url())
        response = yield call
        return self._document(call, response, LandingPage)

    def get_conformance(self) -> Flow[ConformanceDeclaration]:
        """``GET /conformance``: the conformance classes."""
        call = self.call("GET", self.url("conformance"))
        response = yield call
        return self._document(call, response, ConformanceDeclaration)

    def get_processes(self, limit: int | None = None) -> Flow[ProcessList]:
        """``GET /processes``, every page merged (at most ``limit`` processes)."""
        return (yield from merged(self.process_pager(limit, limit), "processes"))

    def process_pager(
        self, page_size: int | None = None, limit: int | None = None
    ) -> Pager[ProcessList]:
        """The paging state of ``GET /processes?limit=<page_size>`` (at most ``limit`` items)."""
        params = [("limit", str(page_size))] if page_size is not None else []
        call = self.call("GET", self.url("processes"), params)
        return self._pager(call, ProcessList, "processes", lambda p: p.id, limit)

    def process_titles(self) -> Flow[dict[str, str]]:
        """Process id -> title for every process that has a title, every page read."""
        pager = self.process_pager()
        titles: dict[str, str] = {}
        while (page := (yield from pager.next_page())) is not None:
            titles.update((p.id, p.title) for p in page.processes if p.title)
        return titles

    def get_process(self, process_id: str) -> Flow[ProcessDescription]:
        """``GET /processes/{id}``: one process description."""
        call = self.call("GET", self.url("processes", process_id))
        response = yield call
        description = self._document(call, response, ProcessDescription, NoSuchProcessError)
        self._remember_outputs(process_id, description)
        return description

    # -- execution --------------------------------------------------------------------------

    def execute_process(
        self, process_id: str, request: RequestLike = None, mode: ExecutionMode = "async",
        subscriber: SubscriberLike = None,
    ) -> Flow[JobInfo]:
        """``POST /processes/{id}/execution``, asking for asynchronous execution by default.

        ``mode="sync"`` sends no ``Prefer: respond-async``, so a process that
        allows ``sync-execute`` runs synchronously (the standard's default).

        201 (or 200/202 with a status document): the job's status, with the id
        taken from ``Location`` when the body lacks it or is empty. 200 with
        results, or 204 with ``Link`` headers: the server ran the job
        synchronously; the results are kept here, under the server's job id
        when ``Location`` names one (else a synthetic ``sync-...`` id), keyed
        by output id (a raw value goes under the process's only output).

        ``subscriber`` (callback URIs) is sent as the request's ``subscriber``.
        """
        if mode not in _EXECUTION_MODES:
            raise InvalidRequestError(
                f"execution mode must be one of {sorted(_EXECUTION_MODES)}, not {mode!r}"
            )
        document = request_document(request, subscriber)
        headers = {"Accept": _JSON_OR_ANY}
        sent = document
        if mode == "async":
            headers["Prefer"] = PREFER_ASYNC
            if "response" not in document:
                # a job's results keyed by output id on every server (the standard's default,
                # raw, would give a bare value at /jobs/{id}/results)
                sent = {**document, "response": "document"}
        call = self.call(
            "POST", self.url("processes", process_id, "execution"), headers=headers, body=sent
        )
        response = yield call
        raise_for_status(call, response, NoSuchProcessError)
        info = yield from self._execution_outcome(call, response, process_id, document)
        if sent.get("response") == "document":
            with self._lock:
                if len(self._document_jobs) >= _JOBS_REMEMBERED:
                    self._document_jobs.clear()  # rare; results are then read the generic way
                self._document_jobs.add(info.jobID)
        return info

    def _execution_outcome(
        self, call: Call, response: httpx.Response, process_id: str, document: dict[str, Any]
    ) -> Flow[JobInfo]:
        location_id = job_id_from_location(response.headers.get("location"))
        if response.status_code == 204:
            return self._keep_local_results(process_id, link_results(response), location_id)
        if response.status_code == 200 and not _is_status_answer(response, location_id):
            results = yield from self._sync_results(call, response, process_id, document)
            return self._keep_local_results(process_id, results, location_id)
        data = self._status_document(call, response, location_id)
        if not any(key in data for key in ("jobID", "jobId", "id")) and location_id:
            data["jobID"] = location_id
        data.setdefault("status", JobStatus.ACCEPTED.value)
        if "processID" not in data and "processId" not in data:
            data["processID"] = process_id
        try:
            info = self._seen(JobInfo.model_validate(data))
        except ValidationError as exc:
            raise InvalidResponseError(
                f"{where(call)}: the server's JobInfo document does not fit the standard: "
                f"{describe_validation_error(exc)}",
                url=call.url,
                status=response.status_code,
            ) from None
        return info

    @staticmethod
    def _status_document(
        call: Call, response: httpx.Response, location_id: str | None
    ) -> dict[str, Any]:
        """The status document of an execution answer, or one made from ``Location``."""
        data: Any = None
        if response.content.strip():
            try:
                data = read_json(call, response, "a job status document")
            except InvalidResponseError:
                if not location_id:
                    raise
                # e.g. "201 Created" as text: the Location header is enough
        if data is None:
            if not location_id:
                raise InvalidResponseError(
                    f"{where(call)}: the server answered {response.status_code} without a "
                    "status document or a Location header, so the job id is unknown",
                    url=call.url,
                    status=response.status_code,
                )
            return {"jobID": location_id, "status": JobStatus.ACCEPTED.value}
        if not isinstance(data, dict):
            raise InvalidResponseError(
                f"{where(call)}: expected a job status document, got JSON {type(data).__name__}",
                url=call.url,
                status=response.status_code,
            )
        return data

    def _sync_results(
        self, call: Call, response: httpx.Response, process_id: str, document: dict[str, Any]
    ) -> Flow[JobResults]:
        """The results of a synchronous answer, keyed by output id.

        A results document (``response: document``, or an object keyed by the
        process's outputs) is taken as is; a raw value goes under the requested
        output, else under the process's only output (from its description),
        else under ``result``.
        """
        if document.get("response") == "document":
            return body_results(call, response)
        outputs = document.get("outputs") or {}
        if len(outputs) == 1:
            output_id: str | None = next(iter(outputs))
        else:
            output_id = yield from self._only_output(process_id)
        if output_id is None:
            return body_results(call, response)
        results = body_results(call, response, output_id)
        if not results or set(results) == {output_id}:
            return results
        # A JSON object whose keys are not the output id: the raw value of that output.
        return JobResults({output_id: read_json(call, response, "results")})

    def _only_output(self, process_id: str) -> Flow[str | None]:
        """The id of the process's only output, or None (several, none, or no description).

        From a description this client read before, else from a fresh one.
        """
        with self._lock:
            if process_id in self._only_outputs:
                return self._only_outputs[process_id]
        call = self.call("GET", self.url("processes", process_id))
        try:
            response = yield call
            description = self._document(call, response, ProcessDescription)
        except ClientError:
            return None  # results are never lost over this: they keep the generic key
        return self._remember_outputs(process_id, description)

    def _remember_outputs(self, process_id: str, description: ProcessDescription) -> str | None:
        outputs = description.outputs or {}
        only = next(iter(outputs)) if len(outputs) == 1 else None
        with self._lock:
            self._only_outputs[process_id] = only
            self._output_ids[process_id] = tuple(outputs)
        return only

    def _seen(self, info: JobInfo) -> JobInfo:
        """Remember which process a job belongs to (to read its raw results); returns ``info``."""
        self._remember_jobs((info,))
        return info

    def _remember_jobs(self, infos: Sequence[JobInfo]) -> None:
        """Job id -> process id for ``infos``, the newest kept (at most _JOBS_REMEMBERED)."""
        with self._lock:
            jobs = self._job_processes
            for info in infos[-_JOBS_REMEMBERED:]:
                if info.processID:
                    jobs.pop(info.jobID, None)
                    jobs[info.jobID] = info.processID
            while len(jobs) > _JOBS_REMEMBERED:
                del jobs[next(iter(jobs))]

    def _process_of(self, job_id: str) -> Flow[str | None]:
        """The process of a job: as seen before, else from its status (None if unknown)."""
        with self._lock:
            known = self._job_processes.get(job_id)
        if known is not None:
            return known
        call = self.call("GET", self.url("jobs", job_id))
        try:
            response = yield call
            info = self._document(call, response, JobInfo, NoSuchJobError)
        except ClientError:
            return None  # the results keep a generic key
        return self._seen(info).processID

    def _outputs_of(self, process_id: str) -> Flow[tuple[str, ...] | None]:
        """The output ids of a process (from its description, read once), or None."""
        yield from self._only_output(process_id)
        with self._lock:
            return self._output_ids.get(process_id)

    def _job_results(self, call: Call, response: httpx.Response, job_id: str) -> Flow[JobResults]:
        """A job's results from a results answer that may be a document or raw.

        Multipart: one entry per part. A JSON object whose keys are outputs of
        the job's process: a results document. Anything else (a bare value, an
        object of other keys, text, bytes): the raw value of the process's only
        output, under its id (``result`` when the process has several or is
        unknown).
        """
        with self._lock:
            asked_document = job_id in self._document_jobs
        if is_multipart(response) or not response.content:
            return body_results(call, response)
        data: Any = None
        kind = media_type(response)
        if is_json_type(kind) or (not kind and response.content.lstrip()[:1] in (b"{", b"[")):
            data = read_json(call, response, "results")
        if asked_document and isinstance(data, dict):
            return JobResults(data)
        process_id = yield from self._process_of(job_id)
        if process_id is None:
            return body_results(call, response)
        outputs = yield from self._outputs_of(process_id)
        if isinstance(data, dict) and (not outputs or (data and data.keys() <= set(outputs))):
            return JobResults(data)
        only = outputs[0] if outputs and len(outputs) == 1 else None
        if isinstance(data, dict):
            return JobResults({only: data} if only else data)
        return body_results(call, response, only)

    def _keep_local_results(
        self, process_id: str, results: JobResults, server_job_id: str | None = None
    ) -> JobInfo:
        now = datetime.now(UTC)
        info = JobInfo(
            jobID=server_job_id or f"{_SYNC_JOB_PREFIX}{uuid.uuid4().hex[:16]}",
            processID=process_id,
            status=JobStatus.SUCCESSFUL,
            message="Run synchronously by the server"
            + ("" if server_job_id else "; results kept by the client"),
            created=now,
            started=now,
            finished=now,
            updated=now,
            progress=100,
        )
        with self._lock:
            self._local_jobs[info.jobID] = _LocalJob(info, results, server_job_id is not None)
        return info

    def _local_job(self, job_id: str) -> _LocalJob | None:
        with self._lock:
            return self._local_jobs.get(job_id)

    # -- jobs -------------------------------------------------------------------------------

    def get_jobs(
        self,
        process_id: Strings = None,
        status: Strings = None,
        limit: int | None = None,
        type: Strings = None,
        datetime: DateTimeFilter = None,
        min_duration: int | None = None,
        max_duration: int | None = None,
    ) -> Flow[JobList]:
        """``GET /jobs`` with the standard filters, every page merged (at most ``limit`` jobs).

        Jobs the server ran synchronously (kept by this client) are listed too
        when they match the process, status and type filters.
        """
        query = JobQuery.of(process_id, status, type, datetime, min_duration, max_duration)
        jobs = yield from merged(self.job_pager(query, limit, limit), "jobs")
        if query.lists_local_jobs:
            jobs = self._with_local_jobs(jobs, query, limit)
        return jobs

    def job_pager(
        self, query: JobQuery, page_size: int | None = None, limit: int | None = None
    ) -> Pager[JobList]:
        """The paging state of ``GET /jobs`` with ``query``'s filters and ``limit=<page_size>``.

        At most ``limit`` jobs; each page's jobs are remembered (job -> process).
        """
        params = list(query.params)
        if page_size is not None:
            params.append(("limit", str(page_size)))
        call = self.call("GET", self.url("jobs"), params)
        return self._pager(
            call, JobList, "jobs", lambda j: j.jobID, limit, on_page=self._remember_jobs
        )

    def local_jobs(self, query: JobQuery, listed: Iterable[str] = ()) -> list[JobInfo]:
        """The jobs run synchronously and kept here that match ``query``, minus ``listed``.

        Empty when ``query`` filters by time or duration (a local job has no such
        record on the server to compare).
        """
        if not query.lists_local_jobs:
            return []
        with self._lock:
            local = [entry.info for entry in self._local_jobs.values()]
        known = set(listed)  # the server lists the jobs it named
        return [info for info in local if info.jobID not in known and query.matches(info)]

    def _pager(
        self,
        call: Call,
        model: type[M],
        field: str,
        key: Callable[[Any], str],
        limit: int | None,
        on_page: Callable[[Sequence[Any]], None] | None = None,
    ) -> Pager[M]:
        def read(call: Call, response: httpx.Response) -> M:
            return self._document(call, response, model, coerce=_wrap_bare_list(field))

        return Pager(
            call, make_call=self.call, read=read, field=field, key=key, limit=limit,
            on_page=on_page,
        )

    def _with_local_jobs(self, jobs: JobList, query: JobQuery, limit: int | None) -> JobList:
        extra = self.local_jobs(query, (job.jobID for job in jobs.jobs))
        if not extra:
            return jobs
        merged_jobs = [*jobs.jobs, *extra]
        if limit is not None:
            merged_jobs = merged_jobs[:limit]
        return jobs.model_copy(update={"jobs": merged_jobs})

    def get_job(self, job_id: str) -> Flow[JobInfo]:
        """``GET /jobs/{id}``: the job's status."""
        local = self._local_job(job_id)
        if local is not None:
            return local.info
        call = self.call("GET", self.url("jobs", job_id))
        response = yield call
        return self._seen(self._document(call, response, JobInfo, NoSuchJobError))

    def get_job_results(self, job_id: str) -> Flow[JobResults]:
        """``GET /jobs/{id}/results`` (or the results kept from a synchronous run)."""
        local = self._local_job(job_id)
        if local is not None:
            return local.results.for_job(job_id)
        call = self.call(
            "GET", self.url("jobs", job_id, "results"), headers={"Accept": _JSON_OR_ANY}
        )
        response = yield call
        raise_for_status(call, response, NoSuchJobError)
        if response.status_code == 204:
            return link_results(response).for_job(job_id)
        return (yield from self._job_results(call, response, job_id)).for_job(job_id)

    def dismiss_job(self, job_id: str) -> Flow[JobInfo]:
        """``DELETE /jobs/{id}``: cancel a running job or remove a finished one."""
        with self._lock:
            local = self._local_jobs.pop(job_id, None)
        if local is not None:
            dismissed = local.info.model_copy(
                update={"status": JobStatus.DISMISSED, "updated": datetime.now(UTC)}
            )
            if not local.on_server:
                return dismissed
        call = self.call("DELETE", self.url("jobs", job_id))
        response = yield call
        if local is not None and response.status_code in (404, 410):
            return dismissed  # the server forgot it already: gone either way
        raise_for_status(call, response, NoSuchJobError)
        if not response.content.strip():
            return JobInfo(jobID=job_id, status=JobStatus.DISMISSED)
        return parse_document(call, response, JobInfo)

    # -- composite operations ---------------------------------------------------------------

    def wait_for_job(
        self,
        job_id: str,
        timeout: float | None = None,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_interval: float = DEFAULT_MAX_INTERVAL,
        on_update: Callable[[JobInfo], Any] | None = None,
    ) -> Flow[JobInfo]:
        """Poll the job (interval growing by 1.5x up to ``max_interval``) until it is final."""
        if poll_interval <= 0 or max_interval < poll_interval:
            raise ValueError("need 0 < poll_interval <= max_interval")
        if timeout is not None and timeout < 0:
            raise ValueError("timeout must be >= 0 (or None to wait forever)")
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = poll_interval
        last: dict[str, Any] | None = None
        while True:
            job = yield from self.get_job(job_id)
            snapshot = job.to_dict()
            if on_update is not None and snapshot != last:
                yield Notify(on_update, job)
            last = snapshot
            if job.is_final:
                return job
            pause = interval
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimeoutError(
                        f"job {job_id} is still {job.status} after {timeout:g} s",
                        job_id=job_id,
                        timeout=timeout or 0.0,
                        job=job,
                        url=self.url("jobs", job_id),
                    )
                pause = min(pause, remaining)
            yield Sleep(pause)
            interval = min(interval * _BACKOFF, max_interval)

    def run_process(
        self, process_id: str, request: RequestLike = None, *, timeout: float | None = None
    ) -> Flow[JobResults]:
        """Execute, wait until the job is final, return its results.

        Raises :class:`JobFailedError` (with ``.job``) when the job failed or was dismissed.
        """
        job = yield from self.execute_process(process_id, request)
        if not job.is_final:
            job = yield from self.wait_for_job(job.jobID, timeout)
        if job.status != JobStatus.SUCCESSFUL:
            reason = f": {job.message}" if job.message else ""
            raise JobFailedError(
                f"job {job.jobID} of process {process_id} ended {job.status}{reason}",
                job=job,
                url=self.url("jobs", job.jobID),
            )
        return (yield from self.get_job_results(job.jobID))

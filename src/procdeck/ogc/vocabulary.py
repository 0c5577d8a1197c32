"""The words of OGC API - Processes Part 1 (Core 1.0): job states, conformance classes,
link relations, media types and exception types, one constant each.

Client, server and app use these names instead of spelling the strings, so
that what the server declares and what the client looks for cannot drift.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CONF_CALLBACK",
    "CONF_CORE",
    "CONF_DISMISS",
    "CONF_JOB_LIST",
    "CONF_JSON",
    "CONF_OAS30",
    "CONF_OGC_PROCESS_DESCRIPTION",
    "DECLARED_CONFORMANCE",
    "EXC_INVALID_INPUT",
    "EXC_JOB_DISMISSED",
    "EXC_JOB_FAILED",
    "EXC_NO_SUCH_JOB",
    "EXC_NO_SUCH_OUTPUT",
    "EXC_NO_SUCH_PROCESS",
    "EXC_OPERATION_NOT_ALLOWED",
    "EXC_RESULT_NOT_READY",
    "EXECUTE_MEMBERS",
    "FINAL_STATES",
    "JOB_STATES",
    "MEDIA_HTML",
    "MEDIA_JSON",
    "MEDIA_PROBLEM_JSON",
    "PREFER_ASYNC",
    "PREFER_SYNC",
    "REL_ALTERNATE",
    "REL_CONFORMANCE",
    "REL_ITEM",
    "REL_JOB_LIST",
    "REL_MONITOR",
    "REL_NEXT",
    "REL_PREV",
    "REL_PROCESSES",
    "REL_RESULTS",
    "REL_SELF",
    "REL_SERVICE",
    "REL_SERVICE_DESC",
    "REL_SERVICE_DOC",
    "JobStatus",
]


# -- job states ---------------------------------------------------------------------------------


class JobStatus(StrEnum):
    """The standard job states (``statusInfo.status``)."""

    ACCEPTED = "accepted"
    RUNNING = "running"
    SUCCESSFUL = "successful"
    FAILED = "failed"
    DISMISSED = "dismissed"

    @property
    def is_final(self) -> bool:
        """True for states a job never leaves."""
        return self in FINAL_STATES


JOB_STATES: tuple[JobStatus, ...] = tuple(JobStatus)
"""Every standard state, in the order a job goes through them."""

FINAL_STATES: frozenset[JobStatus] = frozenset(
    {JobStatus.SUCCESSFUL, JobStatus.FAILED, JobStatus.DISMISSED}
)
"""States a job never leaves. Plain strings compare equal to them (``"failed" in ...``)."""


# -- conformance classes ------------------------------------------------------------------------

_CONF = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/"

CONF_CORE = _CONF + "core"
"""Core: landing page, conformance, process list and description, execute, job status."""
CONF_OGC_PROCESS_DESCRIPTION = _CONF + "ogc-process-description"
"""Process descriptions in the OGC process description format."""
CONF_JSON = _CONF + "json"
"""JSON encodings of every resource."""
CONF_OAS30 = _CONF + "oas30"
"""An OpenAPI 3.0 definition of the API (the landing page's ``service-desc``)."""
CONF_JOB_LIST = _CONF + "job-list"
"""``GET /jobs``: the list of jobs (the app follows jobs one by one without it)."""
CONF_DISMISS = _CONF + "dismiss"
"""``DELETE /jobs/{jobId}``: dismiss a job."""
CONF_CALLBACK = _CONF + "callback"
"""A ``subscriber`` in the execute request: callback URIs notified as a job progresses."""

DECLARED_CONFORMANCE: tuple[str, ...] = (
    CONF_CORE,
    CONF_OGC_PROCESS_DESCRIPTION,
    CONF_JSON,
    CONF_OAS30,
    CONF_JOB_LIST,
    CONF_DISMISS,
    CONF_CALLBACK,
)
"""The conformance classes a procdeck server declares (``GET /conformance``), in order."""


# -- link relations -----------------------------------------------------------------------------

REL_SELF = "self"
"""The document itself."""
REL_ALTERNATE = "alternate"
"""The same document in another media type."""
REL_NEXT = "next"
"""The next page of a list (``/processes``, ``/jobs``); clients follow it."""
REL_PREV = "prev"
"""The previous page of a list."""
REL_SERVICE = "service"
"""An endpoint of the API (procdeck's landing page lists one per route)."""
REL_SERVICE_DESC = "service-desc"
"""The API's machine-readable definition (OpenAPI)."""
REL_SERVICE_DOC = "service-doc"
"""The API's documentation for people."""
REL_MONITOR = "monitor"
"""The job's status (``Link`` header of an execution's answer): not one of its results."""
REL_ITEM = "item"
"""One result given by reference (``Link`` headers of a 204 answer, outputs by reference)."""

_OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0/"

REL_CONFORMANCE = _OGC_REL + "conformance"
"""The landing page's link to ``/conformance``."""
REL_PROCESSES = _OGC_REL + "processes"
"""The landing page's link to ``/processes``."""
REL_JOB_LIST = _OGC_REL + "job-list"
"""The landing page's link to ``/jobs``."""
REL_RESULTS = _OGC_REL + "results"
"""A job's link to its results (procdeck reads them at ``/jobs/{jobId}/results`` anyway)."""


# -- media types and preferences ----------------------------------------------------------------

MEDIA_JSON = "application/json"
"""JSON: every document of the standard."""
MEDIA_PROBLEM_JSON = "application/problem+json"
"""An RFC 7807 problem document (the standard's ``exception``)."""
MEDIA_HTML = "text/html"
"""HTML, for the API's pages meant for people."""

PREFER_ASYNC = "respond-async"
"""``Prefer`` value asking for asynchronous execution (a job, 201 and ``Location``)."""
PREFER_SYNC = "respond-sync"
"""``Prefer`` value asking for synchronous execution (OWSLib sends it)."""


# -- the execute request -----------------------------------------------------------------------

EXECUTE_MEMBERS: frozenset[str] = frozenset({"inputs", "outputs", "response", "subscriber"})
"""The members of an execute request (see :mod:`procdeck.ogc.requests`)."""


# -- exception types ----------------------------------------------------------------------------

_EXC = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"

EXC_NO_SUCH_PROCESS = _EXC + "no-such-process"
"""404: there is no process with that id."""
EXC_NO_SUCH_JOB = _EXC + "no-such-job"
"""404: there is no job with that id."""
EXC_NO_SUCH_OUTPUT = _EXC + "no-such-output"
"""404: the job has no output with that id."""
EXC_RESULT_NOT_READY = _EXC + "result-not-ready"
"""404: the job has not finished successfully (yet)."""
EXC_INVALID_INPUT = _EXC + "invalid-input"
"""400: an input (or an output asked for) is not valid for the process."""
EXC_JOB_DISMISSED = _EXC + "job-dismissed"
"""410: the job was dismissed."""
EXC_JOB_FAILED = _EXC + "job-failed"
"""The error of a failed job."""
EXC_OPERATION_NOT_ALLOWED = _EXC + "operation-not-allowed"
"""The operation is not allowed for this job or process (e.g. dismissing a finished job)."""

"""The exceptions procdeck's client raises.

One small hierarchy (like httpx's): everything is a :class:`ClientError`, so a
caller can catch one class. Transport failures, bad responses, HTTP errors and
failed jobs each have their own subclass; raw httpx or pydantic exceptions never
escape the client (they are kept as ``__cause__``).

::

    ClientError
    ├── ConfigError                  bad server URL, unreadable config file
    ├── InvalidRequestError          an execute request that is not valid
    ├── ConnectionFailedError        refused, reset, DNS failure
    ├── RequestTimeoutError          connect/read/write timeout
    ├── InvalidResponseError         HTML instead of JSON, malformed or truncated body,
    │                                a document that does not fit the model
    ├── HTTPStatusError              any 4xx/5xx answer, RFC 7807 fields parsed
    │   ├── BadRequestError          400 (and 422)
    │   ├── AuthenticationError      401, 403
    │   ├── NotFoundError            404
    │   │   ├── NoSuchProcessError
    │   │   ├── NoSuchJobError
    │   │   └── ResultNotReadyError
    │   └── ServerError              5xx
    ├── JobFailedError               a job ended failed or dismissed (``.job``)
    └── WaitTimeoutError             a job did not finish in time (``.job``)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from procdeck.ogc.models import ApiError, JobInfo

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ClientError",
    "ConfigError",
    "ConnectionFailedError",
    "HTTPStatusError",
    "InvalidRequestError",
    "InvalidResponseError",
    "JobFailedError",
    "NoSuchJobError",
    "NoSuchProcessError",
    "NotFoundError",
    "RequestTimeoutError",
    "ResultNotReadyError",
    "ServerError",
    "WaitTimeoutError",
]


class ClientError(Exception):
    """Base of every error the procdeck client raises.

    Attributes:
        status: the HTTP status code, or ``None`` when no answer came.
        type, title, detail, instance: the RFC 7807 problem fields the server sent.
        url: the URL of the request that failed.
        traceback: the server's traceback, when it sends one as an extension member.
        problem: the parsed RFC 7807 document (:class:`procdeck.ogc.models.ApiError`), if any.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        problem: ApiError | None = None,
        type: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        instance: str | None = None,
        traceback: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status
        self.problem = problem
        self.type = type if type is not None else getattr(problem, "type", None)
        self.title = title if title is not None else getattr(problem, "title", None)
        self.detail = detail if detail is not None else getattr(problem, "detail", None)
        self.instance = instance if instance is not None else getattr(problem, "instance", None)
        self.traceback = traceback

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the attributes when the error crosses a process boundary (pickle).
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[ClientError], message: str, state: dict[str, Any]) -> ClientError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ConfigError(ClientError, ValueError):
    """The client's configuration is unusable (bad server URL, unreadable config file)."""


class InvalidRequestError(ClientError, ValueError):
    """The execute request given to the client is not a valid ``ProcessRequest``."""


class ConnectionFailedError(ClientError):
    """The server could not be reached: connection refused or reset, unknown host."""


class RequestTimeoutError(ClientError):
    """The server did not answer within the client's timeout."""


class InvalidResponseError(ClientError):
    """The server answered something the client cannot use.

    An HTML page where JSON was expected, malformed or truncated JSON, or a
    document that does not fit the OGC API - Processes model.
    """


class HTTPStatusError(ClientError):
    """The server answered with an HTTP error status (4xx or 5xx)."""


class BadRequestError(HTTPStatusError):
    """400 (or 422): the server rejected the request, e.g. invalid inputs."""


class AuthenticationError(HTTPStatusError):
    """401 or 403: missing, wrong or insufficient access token."""


class NotFoundError(HTTPStatusError):
    """404: the resource does not exist."""


class NoSuchProcessError(NotFoundError):
    """The process does not exist (OGC exception ``no-such-process``)."""


class NoSuchJobError(NotFoundError):
    """The job does not exist (OGC exception ``no-such-job``)."""


class ResultNotReadyError(NotFoundError):
    """The job has no results yet (OGC exception ``result-not-ready``)."""


class ServerError(HTTPStatusError):
    """5xx: the server failed."""


class JobFailedError(ClientError):
    """A job ended ``failed`` or ``dismissed``; ``job`` is its final status document."""

    def __init__(self, message: str, *, job: JobInfo, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.job = job


class WaitTimeoutError(ClientError):
    """A job did not reach a final state in time; ``job`` is the last status seen."""

    def __init__(
        self,
        message: str,
        *,
        job_id: str,
        timeout: float,
        job: JobInfo | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, url=url)
        self.job_id = job_id
        self.timeout = timeout
        self.job = job

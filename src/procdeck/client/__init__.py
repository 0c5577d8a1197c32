"""procdeck's client core: :class:`Client`, :class:`AsyncClient`, configuration and errors.

Both clients have the same methods (``get_capabilities``, ``get_processes``,
``execute_process``, ``get_jobs``, ``iter_jobs``, ``poll_jobs``, ``wait_for_job``,
``run_process``, ...); the async one's are coroutines (its ``iter_*`` methods async
generators). Requests are built and answers interpreted in
one shared core, so the two behave identically.
"""

from procdeck.client._async import AsyncClient
from procdeck.client._sync import Client
from procdeck.client.config import ClientConfig, InsecureConfigWarning
from procdeck.client.errors import (
    AuthenticationError,
    BadRequestError,
    ClientError,
    ConfigError,
    ConnectionFailedError,
    HTTPStatusError,
    InvalidRequestError,
    InvalidResponseError,
    JobFailedError,
    NoSuchJobError,
    NoSuchProcessError,
    NotFoundError,
    RequestTimeoutError,
    ResultNotReadyError,
    ServerError,
    WaitTimeoutError,
)
from procdeck.client.feed import JobFeed, JobSnapshot

__all__ = [
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ClientConfig",
    "ClientError",
    "ConfigError",
    "ConnectionFailedError",
    "HTTPStatusError",
    "InsecureConfigWarning",
    "InvalidRequestError",
    "InvalidResponseError",
    "JobFailedError",
    "JobFeed",
    "JobSnapshot",
    "NoSuchJobError",
    "NoSuchProcessError",
    "NotFoundError",
    "RequestTimeoutError",
    "ResultNotReadyError",
    "ServerError",
    "WaitTimeoutError",
]

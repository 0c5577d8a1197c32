"""The blocking client: drives the core's flows with an ``httpx.Client``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from procdeck.client._base import ClientBase, resolve_config
from procdeck.client._core import (
    DEFAULT_MAX_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DateTimeFilter,
    ExecutionMode,
    JobQuery,
    RequestLike,
    Strings,
    SubscriberLike,
)
from procdeck.client._download import ProgressLike
from procdeck.client._opening import (
    download_result,
    open_prepared,
    prepare_results,
    read_link,
    zarr_fetcher,
)
from procdeck.client._polling import poll_jobs
from procdeck.client._protocol import Call, Download, Flow, Sleep
from procdeck.client._responses import CHUNK_SIZE, send_again, transport_error, where
from procdeck.client.config import ClientConfig
from procdeck.client.errors import ClientError
from procdeck.client.feed import JobFeed, JobSnapshot
from procdeck.ogc.models import (
    ConformanceDeclaration,
    JobInfo,
    JobList,
    JobResults,
    LandingPage,
    ProcessDescription,
    ProcessList,
    ProcessSummary,
)

T = TypeVar("T")


class Client(ClientBase):
    """A client for an OGC API - Processes server.

    Settings not given here come from the environment, the config file or the
    defaults (see :class:`ClientConfig`). One pooled HTTP connection per client;
    close it with :meth:`close` or use it as a context manager. Every failure is
    a :class:`~procdeck.client.errors.ClientError`.

    >>> client = Client("http://127.0.0.1:8008")          # doctest: +SKIP
    >>> job = client.execute_process("sleep_a_while", {"duration": 2})  # doctest: +SKIP
    """

    def __init__(
        self,
        server_url: str | None = None,
        access_token: str | None = None,
        user_name: str | None = None,
        *,
        config: ClientConfig | None = None,
        timeout: float | httpx.Timeout = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(resolve_config(server_url, access_token, user_name, config))
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True)

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- driving flows ----------------------------------------------------------------------

    def _send(self, call: Call) -> httpx.Response:
        if self._http.is_closed:
            raise ClientError(f"{where(call)}: the client is closed", url=call.url)
        for attempt in (1, 2):
            try:
                return self._http.request(
                    call.method,
                    call.url,
                    params=call.params or None,
                    headers=call.headers,
                    content=call.body,
                )
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                if attempt == 1 and send_again(call, exc):
                    continue  # a stale pooled connection: once more, on a fresh one
                raise transport_error(call, exc) from exc
        raise AssertionError("unreachable")

    def _download(self, step: Download) -> httpx.Response:
        call, sink = step.call, step.sink
        if self._http.is_closed:
            raise ClientError(f"{where(call)}: the client is closed", url=call.url)
        for attempt in (1, 2):
            try:
                with self._http.stream(call.method, call.url, params=call.params or None,
                                       headers=call.headers, content=call.body) as response:
                    if not sink.begin(response):
                        response.read()
                        return response
                    try:
                        for chunk in response.iter_bytes(CHUNK_SIZE):
                            sink.write(chunk)
                    except BaseException:
                        sink.abort()
                        raise
                    sink.end()
                    return response
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                if attempt == 1 and send_again(call, exc):
                    continue  # a stale pooled connection: once more, on a fresh one
                raise transport_error(call, exc) from exc
        raise AssertionError("unreachable")

    def _run(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
            while True:
                reply: httpx.Response | None = None
                if isinstance(step, Call):
                    reply = self._send(step)
                elif isinstance(step, Download):
                    reply = self._download(step)
                elif isinstance(step, Sleep):
                    time.sleep(step.seconds)
                else:
                    step.callback(step.value)
                step = flow.send(reply)
        except StopIteration as stop:
            return stop.value
        except ClientError as error:
            self._core.scrub(error)  # a server may echo the token back: never pass it on
            raise
        finally:
            flow.close()

    # -- the API ----------------------------------------------------------------------------

    def get_capabilities(self) -> LandingPage:
        """The landing page (``GET /``): title, description and links."""
        return self._run(self._core.get_capabilities())

    def get_conformance(self) -> ConformanceDeclaration:
        """The conformance classes the server declares (``GET /conformance``)."""
        return self._run(self._core.get_conformance())

    def get_processes(self, limit: int | None = None) -> ProcessList:
        """Every process (``GET /processes``), following ``next`` links; at most ``limit``."""
        return self._run(self._core.get_processes(limit))

    def iter_process_pages(self, *, page_size: int | None = None) -> Iterator[ProcessList]:
        """Each page of ``GET /processes`` (only the processes not seen on earlier pages).

        A page is fetched when the iteration gets there: stopping early fetches
        no further page. ``page_size`` is sent as ``limit`` (None: the server's).
        """
        pager = self._core.process_pager(page_size)
        while (page := self._run(pager.next_page())) is not None:
            yield page

    def iter_processes(self, *, page_size: int | None = None) -> Iterator[ProcessSummary]:
        """Every process, page after page, each page fetched only when reached."""
        for page in self.iter_process_pages(page_size=page_size):
            yield from page.processes

    def process_titles(self) -> dict[str, str]:
        """Process id -> title of every process that has one (every page read)."""
        return self._run(self._core.process_titles())

    def get_process(self, process_id: str) -> ProcessDescription:
        """The description of one process (``GET /processes/{process_id}``)."""
        return self._run(self._core.get_process(process_id))

    def execute_process(
        self,
        process_id: str,
        request: RequestLike = None,
        mode: ExecutionMode = "async",
        *,
        subscriber: SubscriberLike = None,
    ) -> JobInfo:
        """Start a job and return its status.

        ``mode="async"`` (the default) asks for asynchronous execution;
        ``mode="sync"`` lets a process that allows ``sync-execute`` run at once.

        ``request`` is a :class:`~procdeck.ogc.models.ProcessRequest` or a dict;
        keys other than ``inputs/outputs/response/subscriber`` are inputs, so
        ``{"fail": True}`` runs the process with ``fail=True``. If the server
        runs the job synchronously, the returned status is ``successful`` and
        :meth:`get_job_results` returns the results for its id.

        ``subscriber`` asks the server to call back (conformance class
        ``callback``): a :class:`~procdeck.ogc.models.Subscriber` or a dict with
        ``successUri`` and optionally ``inProgressUri`` and ``failedUri``
        (``...Url`` spellings accepted); sent as the request's ``subscriber``.
        """
        return self._run(self._core.execute_process(process_id, request, mode, subscriber))

    def get_jobs(
        self,
        process_id: Strings = None,
        status: Strings = None,
        limit: int | None = None,
        type: Strings = None,
        datetime: DateTimeFilter = None,
        min_duration: int | None = None,
        max_duration: int | None = None,
    ) -> JobList:
        """The jobs (``GET /jobs``) matching the filters, every page merged; at most ``limit``.

        ``process_id``, ``status`` and ``type`` take one value or a list;
        ``datetime`` a string, a datetime or a ``(start, end)`` tuple (``None`` = open).
        """
        return self._run(
            self._core.get_jobs(
                process_id, status, limit, type, datetime, min_duration, max_duration
            )
        )

    def iter_job_pages(
        self,
        process_id: Strings = None,
        status: Strings = None,
        *,
        page_size: int | None = None,
        type: Strings = None,
        datetime: DateTimeFilter = None,
        min_duration: int | None = None,
        max_duration: int | None = None,
    ) -> Iterator[JobList]:
        """Each page of ``GET /jobs`` with the filters of :meth:`get_jobs` (new jobs only).

        A page is fetched when the iteration gets there: stopping early fetches
        no further page. ``page_size`` is sent as ``limit`` (None: the server's).
        Only the server's pages: jobs this client keeps from synchronous runs
        come last in :meth:`iter_jobs`.
        """
        query = JobQuery.of(process_id, status, type, datetime, min_duration, max_duration)
        pager = self._core.job_pager(query, page_size)
        while (page := self._run(pager.next_page())) is not None:
            yield page

    def iter_jobs(
        self,
        process_id: Strings = None,
        status: Strings = None,
        *,
        page_size: int | None = None,
        type: Strings = None,
        datetime: DateTimeFilter = None,
        min_duration: int | None = None,
        max_duration: int | None = None,
    ) -> Iterator[JobInfo]:
        """The jobs :meth:`get_jobs` lists, one at a time, each page fetched only when reached.

        After the server's jobs come the ones it ran synchronously that this
        client keeps and the server did not list (as in :meth:`get_jobs`).
        """
        pages = self.iter_job_pages(
            process_id, status, page_size=page_size, type=type, datetime=datetime,
            min_duration=min_duration, max_duration=max_duration,
        )
        listed: set[str] = set()
        for page in pages:
            for job in page.jobs:
                listed.add(job.jobID)
                yield job
        query = JobQuery.of(process_id, status, type, datetime, min_duration, max_duration)
        yield from self._core.local_jobs(query, listed)

    def poll_jobs(self, feed: JobFeed) -> JobSnapshot:
        """One poll of the jobs for ``feed`` (see :class:`~procdeck.client.JobFeed`).

        List mode: one ``GET /jobs`` (every page); tracked mode (the server lists
        no jobs): ``GET /jobs/{id}`` for each followed job not yet final.
        """
        return self._run(poll_jobs(self._core, feed))

    def get_job(self, job_id: str) -> JobInfo:
        """The status of one job (``GET /jobs/{job_id}``)."""
        return self._run(self._core.get_job(job_id))

    def get_job_results(self, job_id: str) -> JobResults:
        """The results of a finished job (``GET /jobs/{job_id}/results``)."""
        return self._run(self._core.get_job_results(job_id))

    get_job_result = get_job_results

    def dismiss_job(self, job_id: str) -> JobInfo:
        """Cancel a running job or remove a finished one (``DELETE /jobs/{job_id}``)."""
        return self._run(self._core.dismiss_job(job_id))

    def wait_for_job(
        self,
        job_id: str,
        timeout: float | None = None,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_interval: float = DEFAULT_MAX_INTERVAL,
        on_update: Callable[[JobInfo], Any] | None = None,
    ) -> JobInfo:
        """Poll until the job is successful, failed or dismissed; return its final status.

        The interval starts at ``poll_interval`` and grows to ``max_interval``;
        ``on_update(job)`` is called whenever the status document changes.
        Raises :class:`~procdeck.client.errors.WaitTimeoutError` after ``timeout`` seconds.
        """
        return self._run(
            self._core.wait_for_job(
                job_id,
                timeout,
                poll_interval=poll_interval,
                max_interval=max_interval,
                on_update=on_update,
            )
        )

    # -- results as data --------------------------------------------------------------------

    def read_link(self, href: str, *, max_bytes: int | None = None) -> tuple[bytes, str | None]:
        """The body a result link points to and its media type (None when not told).

        Fetched through this client (its token goes only to its own server);
        ``file://`` links and paths on this machine are read in place. Raises
        :class:`~procdeck.results.ResultOpenError` when the body is larger than ``max_bytes``.
        """
        return self._run(read_link(self._core, href, max_bytes))

    def download_job_result(
        self, job_id: str, output: str | None = None, directory: str | Path = ".", *,
        progress: ProgressLike = None,
    ) -> Path | dict[str, Path]:
        """Write a job's output (or every output) as files into ``directory``.

        Links are streamed (memory stays flat, a progress bar for large ones where
        someone can see it; ``progress`` may be a callable ``(done, total)``);
        inline values are written in their media type. Returns the file of
        ``output``, or a dict of files by output id.
        """
        written = self._run(download_result(self._core, job_id, output, Path(directory),
                                            progress=progress))
        return written[output] if output is not None else written

    def open_job_result(
        self, job_id: str, output: str | None = None, *, as_: str | None = None,
        wait: bool = True, timeout: float | None = None, progress: ProgressLike = None,
    ) -> Any:
        """A job's output opened as the object to work with.

        ``xarray.Dataset`` for Zarr (lazily over HTTP: only metadata is read) and
        NetCDF, ``pandas.DataFrame`` for CSV and Parquet, ``geopandas.GeoDataFrame``
        for GeoJSON, ``PIL.Image`` for PNG/JPEG, dict/list for JSON, str/bytes
        otherwise (see :mod:`procdeck.results`; ``as_="pandas"`` forces a kind).
        ``output=None`` opens the only output, or returns a dict of all. With
        ``wait`` the job is awaited first (``timeout`` seconds at most). Linked
        files are downloaded to the cache (``$PROCDECK_CACHE_DIR``), with progress.
        Raises :class:`~procdeck.results.ResultOpenError` for a result no opener
        can read (naming the extra to install when that is the reason).
        """
        prepared = self._run(prepare_results(self._core, job_id, output, as_=as_, wait=wait,
                                             timeout=timeout, progress=progress))
        return open_prepared(prepared, output, as_, zarr_fetcher(self._core, self._send))

    def run_process(
        self, process_id: str, request: RequestLike = None, *, timeout: float | None = None
    ) -> JobResults:
        """Execute, wait and return the results.

        Raises :class:`~procdeck.client.errors.JobFailedError` (with ``.job``)
        if the job failed or was dismissed.
        """
        return self._run(self._core.run_process(process_id, request, timeout=timeout))

"""The app's view-model: processes, the selected process, drafts, the request, execution.

No widgets here: :class:`AppState` is driven by :class:`procdeck.gui.app.App`
and by tests directly (``await state.start()``, ``await state.select(id)``,
``await state.execute()``). It is a thin façade over one view-model per concern
(:mod:`procdeck.gui.state`): the process list, the description cache, the drafts
and their handover, request files and execution. Every client call goes through
:meth:`ConnectionMonitor.call <procdeck.gui.connection.ConnectionMonitor.call>`:
off the event loop, its outcome reported to the connection monitor.

Drafts: each process keeps its own :class:`procdeck.forms.InputForm` and
:class:`~procdeck.gui.request_panel.RequestOptions` for the whole session, so
edits survive switching between processes. :meth:`AppState.snapshot` and
:meth:`AppState.restore` carry the selection and every draft over to a new
session (the theme switch reloads the page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import param

from procdeck.client.errors import ClientError
from procdeck.client.kinds import AnyClient
from procdeck.gui.browser import ProcessCatalog
from procdeck.gui.connection import (
    ConnectionMonitor,
    ConnectionStatus,
    describe_error,
    is_connection_error,
)
from procdeck.gui.runtime import call_client
from procdeck.gui.state.descriptions import DescriptionCache
from procdeck.gui.state.drafts import Drafts
from procdeck.gui.state.execution import Execution, JobStartedCallback, blockers_of
from procdeck.gui.state.processes import ProcessLoader
from procdeck.gui.state.request_file import (
    RequestLoadError,
    fill_from_request,
    read_request,
    request_filename,
)
from procdeck.ogc.models import JobInfo, ProcessDescription

if TYPE_CHECKING:
    from procdeck.forms import InputForm
    from procdeck.gui.request_panel import RequestOptions

__all__ = ["AppState", "JobStartedCallback", "Problem", "RequestLoadError"]

PREFETCH_LIMIT = 25  # descriptions fetched ahead, so a click shows the form without a round trip


class Problem(param.Parameterized):
    """A problem to tell the person about (RFC 7807 title and detail, never a traceback)."""

    title = param.String(default="")
    detail = param.String(default="")
    kind = param.Selector(default="error", objects=["error", "warning", "info", "success"])


class AppState(param.Parameterized):
    """State of one app session (one browser tab or one notebook output).

    The server is the client's (``client.server_url``): the connection monitor
    shows it, masked.
    """

    description = param.ClassSelector(
        class_=ProcessDescription, default=None, allow_None=True,
        doc="Description of the selected process, once loaded",
    )
    loading = param.String(default=None, allow_None=True, doc="Id of the process being loaded")
    load_error = param.String(default="", doc="Why the selected process could not be loaded")
    blockers = param.List(default=[], item_type=str, doc="Why Execute is disabled")
    request = param.Dict(default={}, doc="The execute request the form currently makes")
    # Execution's own, followed by reference (set there only).
    executing = param.Boolean(default=False, allow_refs=True,
                              doc="An execute request is on its way")
    last_job = param.ClassSelector(class_=JobInfo, default=None, allow_None=True,
                                   allow_refs=True)
    last_sync = param.Boolean(default=False, allow_refs=True,
                              doc="The last job was asked to run synchronously")
    problem = param.ClassSelector(class_=Problem, default=None, allow_None=True,
                                  doc="The latest problem to show (set anew each time)")

    def __init__(self, client: AnyClient, **params: Any) -> None:
        super().__init__(**params)
        self.client = client
        self.catalog = ProcessCatalog()
        self.connection = ConnectionMonitor(self._probe, server_url=client.server_url)
        call = self.connection.call
        self._processes = ProcessLoader(self.catalog, self.connection,
                                        lambda: call(client.get_processes), self.report_problem)
        self._descriptions = DescriptionCache(lambda pid: call(client.get_process, pid))
        self.descriptions: dict[str, ProcessDescription] = self._descriptions.cached
        self._drafts = Drafts(self.catalog, on_change=self._refresh_request)
        self.forms: dict[str, InputForm] = self._drafts.forms
        self.options: dict[str, RequestOptions] = self._drafts.options
        self.execution = Execution(client, call)
        self.param.update(executing=self.execution.param.executing,
                          last_job=self.execution.param.last_job,
                          last_sync=self.execution.param.last_sync)
        self.connection.on_recover(self._after_recovery)
        self.connection.param.watch(self._update_blockers, "status")
        self._update_blockers()

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the process list, then fetch the first descriptions ahead of any click."""
        if await self.load_processes():
            await self._reselect()
            await self.prefetch()

    async def prefetch(self, limit: int = PREFETCH_LIMIT) -> None:
        """Fetch up to ``limit`` descriptions in the background (failures are ignored:
        selecting the process fetches it again and shows the error)."""
        await self._descriptions.prefetch(p.id for p in self.catalog.processes[:limit])

    async def load_processes(self) -> bool:
        """Fetch the process list; returns whether it worked."""
        return await self._processes.load()

    async def tick(self) -> None:
        """Periodic work (the app calls it often): ask again for a refused process list."""
        if self._processes.is_due():
            await self.start()

    async def _probe(self) -> None:
        await call_client(self.client.get_capabilities)

    async def _after_recovery(self) -> None:
        # The list request that brought the connection back loads the list itself.
        if (not self.catalog.loaded and not self._processes.busy
                and await self.load_processes()):
            await self._reselect()
        selected = self.catalog.selected_id
        if selected and self.description is None and self.loading is None:
            await self.open(selected)

    def on_job_started(self, callback: JobStartedCallback) -> None:
        """Run ``callback(job, process_id, request)`` after each successful execute."""
        self.execution.on_job_started(callback)

    def report_problem(self, error: BaseException | str, detail: str = "",
                       kind: str = "error") -> None:
        """Show a problem: a client error's RFC 7807 title and detail, or a plain message."""
        if isinstance(error, BaseException):
            title, detail = describe_error(error)
        else:
            title = error
        self.problem = Problem(title=title, detail=detail, kind=kind)

    # -- selection --------------------------------------------------------------------------

    async def select(self, process_id: str) -> ProcessDescription | None:
        """Select ``process_id`` and load its description and form."""
        self.catalog.selected_id = process_id
        return await self.open(process_id)

    async def open(self, process_id: str) -> ProcessDescription | None:
        """Show ``process_id``'s description and (its own, kept) form."""
        if self.description is not None and self.description.id == process_id:
            if self.loading is not None:  # back to the shown process while another loads
                self.loading = None
            return self.description
        description = self._descriptions.get(process_id)
        if description is None:
            self.param.update(loading=process_id, load_error="")
            try:
                description = await self._descriptions.fetch(process_id)
            except ClientError as error:
                if self.catalog.selected_id == process_id:
                    title, detail = describe_error(error)
                    self.param.update(loading=None, description=None,
                                      load_error=f"{title}: {detail}" if detail else title)
                    if not is_connection_error(error):
                        self.report_problem(error)
                return None
        if self.catalog.selected_id != process_id:
            return description  # the person clicked elsewhere meanwhile
        self._drafts.ensure(description)
        # one batch: the process, its request and why it cannot run yet arrive together
        self.param.update(loading=None, load_error="", description=description,
                          **self._request_and_blockers(description.id))
        return description

    async def _reselect(self) -> None:
        selected = self._drafts.take_selection()
        if selected:
            await self.select(selected)

    @property
    def form(self) -> InputForm | None:
        """The form of the selected process."""
        return self.forms.get(self.description.id) if self.description else None

    @property
    def request_options(self) -> RequestOptions | None:
        """Outputs and mode choices of the selected process."""
        return self.options.get(self.description.id) if self.description else None

    # -- handover to a new session ----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The selection, the search and every draft (inputs, ``oneOf`` branches, outputs,
        mode), as plain data for :meth:`restore` in another session."""
        return self._drafts.snapshot()

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Take over a :meth:`snapshot`: each draft fills its form when the form is built,
        the selected process is selected again once the process list is there."""
        self._drafts.restore(snapshot)

    # -- the request ----------------------------------------------------------------------

    def build_request(self) -> dict[str, Any]:
        """The execute request of the selected process as it would be sent."""
        return self._request_of(self.description.id if self.description else None)

    def _request_of(self, process_id: str | None) -> dict[str, Any]:
        form, options = self.forms.get(process_id or ""), self.options.get(process_id or "")
        if form is None or options is None:
            return {}
        return {"inputs": form.value, **options.parts()}

    def _request_and_blockers(self, process_id: str | None) -> dict[str, Any]:
        offline = self.connection.status == ConnectionStatus.OFFLINE
        return {"request": self._request_of(process_id),
                "blockers": blockers_of(self.forms.get(process_id or ""), offline=offline)}

    def _refresh_request(self) -> None:
        self.param.update(self._request_and_blockers(
            self.description.id if self.description else None))

    def _update_blockers(self, *_: object) -> None:
        offline = self.connection.status == ConnectionStatus.OFFLINE
        self.blockers = blockers_of(self.form, offline=offline)

    @property
    def can_execute(self) -> bool:
        """True when Execute may be pressed now."""
        return not self.blockers and not self.executing

    def request_filename(self) -> str:
        """File name for the saved request of the selected process."""
        return request_filename(self.description)

    def load_request(self, data: dict[str, Any] | str | bytes) -> list[str]:
        """Fill the selected process's form and options from a saved request.

        Accepts the request as a dict or JSON text. Returns the ids of inputs
        the process does not have (they are ignored). Raises
        :class:`RequestLoadError` when ``data`` is not a request.
        """
        form, options, description = self.form, self.request_options, self.description
        if form is None or options is None or description is None:
            raise RequestLoadError("Select a process before loading a request.")
        unknown = fill_from_request(description, form, options, read_request(data))
        self._refresh_request()
        return unknown

    async def reuse_request(self, process_id: str, request: dict[str, Any]) -> bool:
        """Select ``process_id`` and fill its form with ``request`` ("run again").

        Returns whether it worked; problems are reported, not raised.
        """
        if await self.select(process_id) is None:
            return False
        try:
            unknown = self.load_request(request)
        except RequestLoadError as error:
            self.report_problem("Could not reuse the request", str(error))
            return False
        if unknown:
            self.report_problem("Request reused", "Ignored inputs this process does not have: "
                                + ", ".join(unknown), kind="warning")
        return True

    # -- execution ------------------------------------------------------------------------

    async def execute(self) -> JobInfo | None:
        """Send the current request; returns the new job, or ``None`` (problem reported)."""
        if self.description is None or self.executing:
            return None
        self._update_blockers()
        if self.blockers:
            self.report_problem("Cannot execute yet", "; ".join(self.blockers), kind="warning")
            return None
        try:
            return await self.execution.run(self.description.id, self.build_request(),
                                            self.request_options)
        except ClientError as error:
            self.report_problem(error)
            return None

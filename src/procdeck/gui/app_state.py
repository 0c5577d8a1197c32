"""The app's view-model: processes, the selected process, drafts, the request, execution.

No widgets here: :class:`AppState` is driven by :class:`procdeck.gui.app.App`
and by tests directly (``await state.start()``, ``await state.select(id)``,
``await state.execute()``). Every client call runs off the event loop (see
:func:`procdeck.gui.runtime.call_client`) and reports to the
:class:`~procdeck.gui.connection.ConnectionMonitor`.

Drafts: each process keeps its own :class:`procdeck.forms.InputForm` and
:class:`~procdeck.gui.request_panel.RequestOptions` for the whole session, so
edits survive switching between processes. :meth:`AppState.snapshot` and
:meth:`AppState.restore` carry the selection and every draft over to a new
session (the theme switch reloads the page).
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import param

from procdeck.client.errors import ClientError
from procdeck.client.kinds import AnyClient
from procdeck.gui.browser import ProcessCatalog
from procdeck.gui.connection import (
    Backoff,
    ConnectionMonitor,
    ConnectionStatus,
    describe_error,
    is_connection_error,
    offline_reason,
)
from procdeck.gui.request_panel import SYNC, RequestOptions
from procdeck.gui.runtime import call_client
from procdeck.ogc.models import JobInfo, ProcessDescription, ProcessRequest

if TYPE_CHECKING:
    from procdeck.forms import InputForm

__all__ = ["AppState", "JobStartedCallback", "Problem", "RequestLoadError"]

JobStartedCallback = Callable[[JobInfo, str, dict[str, Any]], Any]
"""Called as ``callback(job, process_id, request)`` after a successful execute."""

MAX_BLOCKERS_SHOWN = 6
PREFETCH_LIMIT = 25  # descriptions fetched ahead, so a click shows the form without a round trip
PREFETCH_CONCURRENCY = 4


class RequestLoadError(ValueError):
    """A loaded file is not an execute request this app can use."""


class Problem(param.Parameterized):
    """A problem to tell the person about (RFC 7807 title and detail, never a traceback)."""

    title = param.String(default="")
    detail = param.String(default="")
    kind = param.Selector(default="error", objects=["error", "warning", "info", "success"])


class AppState(param.Parameterized):
    """State of one app session (one browser tab or one notebook output)."""

    description = param.ClassSelector(
        class_=ProcessDescription, default=None, allow_None=True,
        doc="Description of the selected process, once loaded",
    )
    loading = param.String(default=None, allow_None=True, doc="Id of the process being loaded")
    load_error = param.String(default="", doc="Why the selected process could not be loaded")
    executing = param.Boolean(default=False, doc="An execute request is on its way")
    blockers = param.List(default=[], item_type=str, doc="Why Execute is disabled")
    request = param.Dict(default={}, doc="The execute request the form currently makes")
    last_job = param.ClassSelector(class_=JobInfo, default=None, allow_None=True)
    last_sync = param.Boolean(default=False,
                              doc="The last job was asked to run synchronously")
    problem = param.ClassSelector(class_=Problem, default=None, allow_None=True,
                                  doc="The latest problem to show (set anew each time)")

    def __init__(self, client: AnyClient, *, server_url: str | None = None, **params: Any) -> None:
        super().__init__(**params)
        self.client = client
        self.catalog = ProcessCatalog()
        url = server_url or client.server_url
        self.connection = ConnectionMonitor(self._probe, server_url=url)
        self.connection.on_recover(self._after_recovery)
        self.connection.param.watch(self._update_blockers, "status")
        self.descriptions: dict[str, ProcessDescription] = {}
        self.forms: dict[str, InputForm] = {}
        self.options: dict[str, RequestOptions] = {}
        self._job_started: list[JobStartedCallback] = []
        self._fetching: dict[str, asyncio.Task[ProcessDescription]] = {}
        # Drafts handed over by a previous session, applied when each form is built.
        self._pending_drafts: dict[str, dict[str, Any]] = {}
        self._restore_selection: str | None = None
        # A process list the server refused (not a connection failure, which the
        # connection monitor handles) is asked for again with backoff.
        self._list_backoff = Backoff()
        self._list_retry_at = 0.0
        self._listing = False

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the process list, then fetch the first descriptions ahead of any click."""
        if await self.load_processes():
            await self._reselect()
            await self.prefetch()

    async def prefetch(self, limit: int = PREFETCH_LIMIT) -> None:
        """Fetch up to ``limit`` descriptions in the background (failures are ignored:
        selecting the process fetches it again and shows the error)."""
        gate = asyncio.Semaphore(PREFETCH_CONCURRENCY)

        async def one(process_id: str) -> None:
            async with gate:
                try:
                    await self._description(process_id)
                except ClientError:  # selecting the process fetches again and shows why
                    return

        ids = [p.id for p in self.catalog.processes[:limit] if p.id not in self.descriptions]
        await asyncio.gather(*(one(process_id) for process_id in ids))

    async def _description(self, process_id: str) -> ProcessDescription:
        """The description of ``process_id``: cached, in flight, or fetched now."""
        cached = self.descriptions.get(process_id)
        if cached is not None:
            return cached
        task = self._fetching.get(process_id)
        if task is None:
            task = asyncio.ensure_future(self._call(self.client.get_process, process_id))
            self._fetching[process_id] = task
        try:
            description = await asyncio.shield(task)
        finally:
            if task.done():
                self._fetching.pop(process_id, None)
        self.descriptions[process_id] = description
        return description

    async def _probe(self) -> None:
        await call_client(self.client.get_capabilities)

    async def _after_recovery(self) -> None:
        if not self.catalog.loaded and await self.load_processes():
            await self._reselect()
        selected = self.catalog.selected_id
        if selected and self.description is None and self.loading is None:
            await self.open(selected)

    def on_job_started(self, callback: JobStartedCallback) -> None:
        """Run ``callback(job, process_id, request)`` after each successful execute."""
        self._job_started.append(callback)

    # -- talking to the server ----------------------------------------------------------------

    async def _call(self, func: Callable[..., Any], *args: Any) -> Any:
        """A client call that keeps the connection state up to date; raises ClientError."""
        try:
            result = await call_client(func, *args)
        except Exception as error:
            if is_connection_error(error):
                self.connection.report_failure(error)
            raise
        if not self.connection.is_online:
            await self.connection.report_success()
        return result

    def report_problem(self, error: BaseException | str, detail: str = "",
                       kind: str = "error") -> None:
        """Show a problem: a client error's RFC 7807 title and detail, or a plain message."""
        if isinstance(error, BaseException):
            title, detail = describe_error(error)
        else:
            title = error
        self.problem = Problem(title=title, detail=detail, kind=kind)

    async def load_processes(self) -> bool:
        """Fetch the process list; returns whether it worked."""
        self._listing = True
        try:
            processes = await self._call(self.client.get_processes)
        except ClientError as error:
            if not is_connection_error(error):
                if not self.catalog.load_error:  # tell once, not at every retry
                    self.report_problem(error)
                self._list_retry_at = time.monotonic() + self._list_backoff.next_delay()
                self.catalog.load_error = offline_reason(error)
            return False
        finally:
            self._listing = False
        self._list_backoff.reset()
        self.catalog.set_processes(processes.processes)
        return True

    async def tick(self) -> None:
        """Periodic work (the app calls it often): ask again for a refused process list."""
        due = (not self.catalog.loaded and self.catalog.load_error and not self._listing
               and self.connection.status != ConnectionStatus.OFFLINE
               and time.monotonic() >= self._list_retry_at)
        if due:
            await self.start()

    # -- selection and drafts ---------------------------------------------------------------

    async def select(self, process_id: str) -> ProcessDescription | None:
        """Select ``process_id`` and load its description and form."""
        self.catalog.selected_id = process_id
        return await self.open(process_id)

    async def open(self, process_id: str) -> ProcessDescription | None:
        """Show ``process_id``'s description and (its own, kept) form."""
        if self.description is not None and self.description.id == process_id:
            return self.description
        description = self.descriptions.get(process_id)
        if description is None:
            self.param.update(loading=process_id, load_error="")
            try:
                description = await self._description(process_id)
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
        self._ensure_draft(description)
        self.param.update(loading=None, load_error="", description=description)
        self._refresh_request()
        return description

    def _ensure_draft(self, description: ProcessDescription) -> None:
        from procdeck.forms import InputForm

        if description.id in self.forms:
            return
        form = InputForm(description)
        options = RequestOptions(description)
        handed_over = self._pending_drafts.pop(description.id, None)
        if handed_over is not None:
            _apply_draft(form, options, handed_over)
        self.forms[description.id] = form
        self.options[description.id] = options
        watched = [name for name in ("value", "errors", "is_valid") if name in form.param]
        form.param.watch(self._on_draft_change, watched)
        options.param.watch(self._on_draft_change, "changed")

    @property
    def form(self) -> InputForm | None:
        """The form of the selected process."""
        return self.forms.get(self.description.id) if self.description else None

    @property
    def request_options(self) -> RequestOptions | None:
        """Outputs and mode choices of the selected process."""
        return self.options.get(self.description.id) if self.description else None

    def _on_draft_change(self, *_: object) -> None:
        self._refresh_request()

    # -- handover to a new session ----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The selection, the search and every draft (inputs, ``oneOf`` branches, outputs,
        mode), as plain data for :meth:`restore` in another session."""
        drafts = copy.deepcopy(self._pending_drafts)  # handed over, not opened yet
        for process_id, form in self.forms.items():
            options = self.options[process_id]
            drafts[process_id] = {
                "request": copy.deepcopy({"inputs": form.value, **options.parts()}),
                "mode": options.mode,
                "branches": _selected_branches(form),
            }
        return {"selected": self.catalog.selected_id or self._restore_selection,
                "query": self.catalog.query, "drafts": drafts}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Take over a :meth:`snapshot`: each draft fills its form when the form is built,
        the selected process is selected again once the process list is there."""
        drafts = snapshot.get("drafts")
        if isinstance(drafts, dict):
            self._pending_drafts.update(
                {k: v for k, v in drafts.items() if k not in self.forms and isinstance(v, dict)}
            )
        query = snapshot.get("query")
        if isinstance(query, str):
            self.catalog.query = query
        selected = snapshot.get("selected")
        self._restore_selection = selected if isinstance(selected, str) else None

    async def _reselect(self) -> None:
        selected, self._restore_selection = self._restore_selection, None
        if selected and self.catalog.get(selected) is not None:
            await self.select(selected)

    # -- the request ----------------------------------------------------------------------

    def build_request(self) -> dict[str, Any]:
        """The execute request of the selected process as it would be sent."""
        form, options = self.form, self.request_options
        if form is None or options is None:
            return {}
        return {"inputs": form.value, **options.parts()}

    def _refresh_request(self, *_: object) -> None:
        self.request = self.build_request()
        self._update_blockers()

    def _update_blockers(self, *_: object) -> None:
        reasons: list[str] = []
        form = self.form
        if form is None:
            reasons.append("Select a process first.")
        elif not form.is_valid:
            messages = [
                f"{path or 'inputs'}: {message}"
                for path, path_messages in (form.errors or {}).items()
                for message in ([path_messages] if isinstance(path_messages, str)
                                else path_messages)
            ]
            reasons.extend(messages[:MAX_BLOCKERS_SHOWN])
            if len(messages) > MAX_BLOCKERS_SHOWN:
                reasons.append(f"… and {len(messages) - MAX_BLOCKERS_SHOWN} more")
            if not messages:
                reasons.append("The form is not valid yet.")
        if self.connection.status == "offline":
            reasons.append("The server is unreachable.")
        self.blockers = reasons

    @property
    def can_execute(self) -> bool:
        """True when Execute may be pressed now."""
        return not self.blockers and not self.executing

    def request_filename(self) -> str:
        """File name for the saved request of the selected process."""
        return f"{self.description.id}-request.json" if self.description else "request.json"

    def load_request(self, data: dict[str, Any] | str | bytes) -> list[str]:
        """Fill the selected process's form and options from a saved request.

        Accepts the request as a dict or JSON text. Returns the ids of inputs
        the process does not have (they are ignored). Raises
        :class:`RequestLoadError` when ``data`` is not a request.
        """
        form, options = self.form, self.request_options
        if form is None or options is None or self.description is None:
            raise RequestLoadError("Select a process before loading a request.")
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data)
            except ValueError as error:
                raise RequestLoadError(f"The file is not JSON: {error}") from None
        if not isinstance(data, dict):
            raise RequestLoadError("The file does not hold an execute request (a JSON object).")
        try:
            request = ProcessRequest.model_validate(data)
        except ValueError as error:
            raise RequestLoadError(f"The file is not a valid execute request: {error}") from None
        known = set(self.description.inputs)
        unknown = sorted(set(request.inputs) - known)
        form.value = {k: v for k, v in request.inputs.items() if k in known}
        options.apply(request.to_dict())
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
        process_id, request = self.description.id, self.build_request()
        options = self.request_options
        call: Callable[..., Any] = self.client.execute_process
        if options is not None and options.mode_choice:
            call = functools.partial(call, mode=options.mode)
        self.executing = True
        try:
            job = await self._call(call, process_id, request)
        except ClientError as error:
            self.report_problem(error)
            return None
        finally:
            self.executing = False
        self.last_sync = options is not None and options.mode == SYNC
        self.last_job = job
        for callback in list(self._job_started):
            callback(job, process_id, request)
        return job


def _selected_branches(form: InputForm) -> dict[str, dict[str, Any]]:
    """Path -> selected branch and its value of every ``oneOf``/``anyOf`` field in use.

    A value alone may fit several branches (an empty draft fits most): the
    branch the person chose is kept explicitly.
    """
    from procdeck.forms import ChoiceField

    found: dict[str, dict[str, Any]] = {}
    todo = list(form.fields)
    while todo:
        field = todo.pop()
        if isinstance(field, ChoiceField):
            found[field.path] = {"branch": field.branch,
                                 "value": copy.deepcopy(field.branch_field().value)}
        todo.extend(field.built_children())
    return found


def _apply_draft(form: InputForm, options: RequestOptions, draft: dict[str, Any]) -> None:
    """Fill a new form and its options from a handed-over draft (see AppState.snapshot)."""
    from procdeck.forms import MISSING, ChoiceField

    request = draft.get("request") or {}
    form.value = dict(request.get("inputs") or {})
    options.apply(request)
    if draft.get("mode") in options.param["mode"].objects:
        options.mode = draft["mode"]
    branches = draft.get("branches") or {}
    # outer choices first: switching one rebuilds what is inside it
    for path in sorted(branches, key=len):
        field, chosen = form.find(path), branches[path]
        if not isinstance(field, ChoiceField) or field.branch == chosen.get("branch"):
            continue
        if not 0 <= chosen.get("branch", -1) < len(field.branch_schemas):
            continue
        field.branch = chosen["branch"]
        if chosen.get("value") is not MISSING:
            field.branch_field().value = copy.deepcopy(chosen["value"])

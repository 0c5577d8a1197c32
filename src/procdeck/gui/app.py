"""The procdeck app: processes on the left, the selected process and its form in the
middle, jobs and the selected job's details on the right.

``App(client)`` is a Panel ``Viewer``: show it in a notebook, ``.servable()`` it,
or serve one per browser session with :func:`procdeck.gui.serve.serve_app`.
State lives in :class:`~procdeck.gui.app_state.AppState`; this module only
renders it and turns clicks into state calls. What the page shows of the state is
bound to it by reference (``param.bind``): each pane's content, visibility and
disabled state follow the parameters they are made of.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import panel as pn
import param

from procdeck.client.kinds import AnyClient
from procdeck.gui.app_state import AppState, RequestLoadError
from procdeck.gui.browser import ProcessBrowser
from procdeck.gui.connection import ConnectionStatus
from procdeck.gui.handover import HANDOVER
from procdeck.gui.markdown import escape
from procdeck.gui.process_info import placeholder_html, process_header_html, process_io_html
from procdeck.gui.request_panel import RequestOptionsView, RequestPreview
from procdeck.gui.state.request_file import request_filename
from procdeck.gui.theme import (
    DARK,
    LIGHT,
    PRIMARY_BUTTON_CSS,
    icon,
    shell_classes,
    stylesheets,
)
from procdeck.ogc.models import JobStatus, ProcessDescription

__all__ = ["App"]

TICK_MS = 500
JOBS_QUIET_S = 0.5
"""The job table waits until no form has been drawn for this long."""
HANDOVER_ARG = "handover"
"""URL query argument carrying the one-time token of a handed-over session (see
:mod:`procdeck.gui.handover`)."""


def _current_theme() -> str:
    return DARK if str(pn.config.theme) == "dark" else LIGHT


class App(pn.viewable.Viewer):
    """The whole app for one session.

    Args:
        client: a :class:`procdeck.Client` or :class:`procdeck.AsyncClient`; the app
            talks to its server (``client.server_url``).
        theme: ``"light"`` or ``"dark"``; default: Panel's theme of the session
            (``?theme=dark`` in the URL).
        notebook: lay out for a notebook cell (no full-height page, no theme toggle).
    """

    theme = param.Selector(default=None, objects=[None, LIGHT, DARK])
    notebook = param.Boolean(default=False)

    def __init__(self, client: AnyClient, **params: Any) -> None:
        super().__init__(**params)
        if self.theme is None:
            self.theme = _current_theme()
        self.client = client
        self.state = AppState(client)
        self._views: dict[str, pn.viewable.Viewable] = {}
        self._option_views: dict[str, pn.viewable.Viewable] = {}
        self._started = False
        self._periodic: Any = None
        self._form_shown_at = float("-inf")
        doc = pn.state.curdoc
        served = doc is not None and doc.session_context is not None
        # Served, the job table joins the page once the page is up (see _mount_jobs_when_idle).
        self.jobs = _JobsArea(client, self, lazy=served)
        self._take_handover()
        self._build()
        self._wire()

    # -- construction -----------------------------------------------------------------------

    def _build(self) -> None:
        css = stylesheets()
        state, monitor = self.state, self.state.connection
        shown = param.bind(_is_set, state.param.description)  # a process is on the page
        self.connection_badge = pn.pane.HTML(
            param.bind(self._connection_html, monitor.param.status, monitor.param.message,
                       monitor.param.retry_in_s, monitor.param.reason, monitor.param.detail),
            stylesheets=css, margin=0, sizing_mode="fixed", width=340, height=30,
        )
        self.retry_button = pn.widgets.Button(
            label="Retry now", color="default", margin=(0, 4), width=100,
            visible=param.bind(_is_offline, monitor.param.status),
        )
        header_items: list[Any] = [
            pn.pane.HTML(
                f'<div class="pd-brand">{icon("logo")}<span>procdeck</span>'
                "<small>OGC API - Processes</small></div>",
                stylesheets=css, margin=0,
            ),
            pn.Spacer(sizing_mode="stretch_width", height=1),
            self.connection_badge,
            self.retry_button,
        ]
        if not self.notebook:
            label = "☀ Light theme" if self.theme == DARK else "☾ Dark theme"
            self.theme_button = pn.widgets.Button(label=label, color="default", width=130,
                                                  margin=(0, 4))
            self.theme_button.on_click(self._on_theme_toggle)
            header_items.append(self.theme_button)
        header = pn.Row(*header_items, css_classes=["pd-header"], stylesheets=css,
                        sizing_mode="stretch_width", margin=0)

        self.browser = ProcessBrowser(self.state.catalog)
        left = _pane(self.browser, kind="pd-left")

        self.process_header = pn.pane.HTML(
            param.bind(self._process_header_html, state.param.description,
                       state.param.loading, state.param.load_error),
            stylesheets=css, sizing_mode="stretch_width", margin=0,
        )
        self.process_io = pn.pane.HTML(
            param.bind(_process_io_html, state.param.description),
            stylesheets=css, sizing_mode="stretch_width", margin=0, visible=shown,
        )
        self.form_slot = pn.Column(sizing_mode="stretch_width", margin=0)
        self.options_slot = pn.Column(sizing_mode="stretch_width", margin=0)
        self.execute_button = pn.widgets.Button(
            label=param.bind(_execute_label, state.param.executing),
            disabled=param.bind(_execute_disabled, state.param.blockers, state.param.executing),
            color="primary", width=130, height=38, margin=(4, 8, 4, 0),
            stylesheets=[PRIMARY_BUTTON_CSS],
        )
        self.status_line = pn.pane.HTML("", stylesheets=css, sizing_mode="stretch_width",
                                        margin=(4, 0))
        self.blockers_view = pn.pane.HTML(
            param.bind(_blockers_html, state.param.blockers),
            stylesheets=css, sizing_mode="stretch_width", margin=(4, 0),
            visible=param.bind(bool, state.param.blockers),
        )
        self.preview = RequestPreview(
            text=param.bind(_request_text, state.param.request),
            filename=param.bind(request_filename, state.param.description),
            stylesheets=css, sizing_mode="stretch_width", margin=(4, 0),
        )
        self.request_area = pn.Column(
            self.options_slot, self.preview,
            sizing_mode="stretch_width", margin=0, visible=shown,
        )
        # Execute stays in view below the (scrolling) form, with the reasons it is disabled.
        self.action_bar = pn.Column(
            pn.Row(self.execute_button, self.status_line, sizing_mode="stretch_width",
                   margin=0, align="center"),
            self.blockers_view,
            css_classes=["pd-actions"], stylesheets=css, sizing_mode="stretch_width",
            margin=0, visible=shown,
        )
        middle = _pane(self.process_header, self.process_io, self.form_slot,
                       self.request_area, kind="pd-middle", footer=self.action_bar)
        right = _pane(*self.jobs.panels(), kind="pd-right")
        body = pn.Row(left, middle, right, css_classes=["pd-body"], stylesheets=css,
                      sizing_mode="stretch_width", margin=0)
        self._layout = pn.Column(
            header, body,
            css_classes=shell_classes(self.theme, notebook=self.notebook),
            stylesheets=css, sizing_mode="stretch_width", margin=0,
        )

    def _wire(self) -> None:
        # What the page shows of the state is bound in _build. Watched here: clicks and
        # selections that are actions, and what is not a function of the state alone:
        # the kept form view of a process is put into its slot (and the time noted for
        # the job table), and the status line and the toasts tell of events (a problem,
        # a started job), the latest winning.
        state = self.state
        state.catalog.param.watch(self._on_selected, "selected_id")
        state.param.watch(self._show_form, "description")
        state.param.watch(self._show_problem, "problem")
        state.param.watch(self._show_last_job, "last_job")
        self.execute_button.on_click(self._on_execute)
        self.retry_button.on_click(self._on_retry)
        self.preview.param.watch(self._on_loaded_file, "loads")
        state.on_job_started(self.jobs.track)
        # The job poller backs off on its own while the server fails (up to 30 s): when the
        # connection comes back, poll at once so the table is current without waiting.
        state.connection.on_recover(self.jobs.wake)

    def __panel__(self) -> pn.viewable.Viewable:
        if not self._started:
            self._started = True
            doc = pn.state.curdoc
            if doc is not None and doc.session_context is not None:
                # Served: start loading while the browser still loads the page's scripts;
                # what arrives before it connects is part of the document it pulls.
                pn.state.on_session_destroyed(self._on_session_destroyed)
                pn.state.execute(self._load)
                # Ticks start once the page is connected: before that, Panel re-schedules
                # a periodic callback on every turn of the event loop (busy while the
                # browser loads the page, slowing the very load it waits for).
                pn.state.onload(self._start_ticks)
            else:
                from procdeck.gui.frontend import stop_when_closed

                pn.state.onload(self._start)
                stop_when_closed(self._layout, self.stop, pause=self._pause)
        return self._layout

    async def _start(self) -> None:
        self._start_ticks()
        await self._load()

    async def _load(self) -> None:
        self.jobs.start()
        await self.state.start()

    def _start_ticks(self) -> None:
        if self._periodic is None:
            self._periodic = pn.state.add_periodic_callback(self._tick, period=TICK_MS)

    def _mount_jobs_when_idle(self) -> None:
        """Show the job table unless a process is opening or its form was just drawn.

        The table (a Tabulator) is the heaviest part of the page for the browser:
        drawn with the page, or in the same moment as a form, it delays the form
        the user is waiting for. Each tick checks (the first one half a second
        after the page connects) until the page is quiet.
        """
        if self.jobs.mounted or self.state.loading:
            return
        if time.monotonic() - self._form_shown_at >= JOBS_QUIET_S:
            self.jobs.mount()

    def _on_session_destroyed(self, _context: Any) -> None:
        self.stop()

    def _pause(self, paused: bool) -> None:
        # in a notebook: nobody looks at the output (tab hidden or closed); no requests
        self.jobs.poller.paused = paused
        if paused:
            if self._periodic is not None:
                self._periodic.stop()
                self._periodic = None
        else:
            self._start_ticks()

    def stop(self) -> None:
        """Stop background work (connection checks, job polling)."""
        if self._periodic is not None:
            self._periodic.stop()
            self._periodic = None
        self.jobs.stop()

    async def _tick(self) -> None:
        self._mount_jobs_when_idle()
        await self.state.connection.tick()
        await self.state.tick()

    # -- state -> view --------------------------------------------------------------------

    def _connection_html(self, *_: object) -> str:
        monitor = self.state.connection
        status = monitor.status
        if status == ConnectionStatus.ONLINE:
            text = f"Online · {monitor.server_url}" if monitor.server_url else "Online"
        elif status == ConnectionStatus.OFFLINE:
            seconds = monitor.retry_in_s
            again = f"retrying in {seconds} s" if seconds else "retrying…"
            text = f"Offline: {monitor.reason or 'server unreachable'}, {again}"
        else:
            text = "Connecting…"
        return (
            f'<div class="pd-conn {status}" role="status" aria-label="Connection" '
            'aria-live="polite" '
            f'title="{escape(monitor.detail or monitor.message)}">'
            f'<span class="pd-dot"></span><span>{escape(text)}</span></div>'
        )

    async def _on_selected(self, event: param.parameterized.Event) -> None:
        if event.new:
            await self.state.open(event.new)

    def _process_header_html(self, description: ProcessDescription | None,
                             loading: str | None, load_error: str) -> str:
        if loading and (description is None or description.id != loading):
            summary = self.state.catalog.get(loading)
            name = summary.title if summary and summary.title else loading
            return placeholder_html(f"Loading {name}…")
        if description is None:
            message = load_error or "Pick a process on the left to see its inputs."
            return placeholder_html(message, icon_name="offline" if load_error else "form")
        return process_header_html(description)

    def _show_form(self, *_: object) -> None:
        description = self.state.description
        if description is None:
            self.form_slot.objects = []
            return
        self.form_slot.objects = [self._form_view(description.id)]
        self._form_shown_at = time.monotonic()
        self.options_slot.objects = [self._options_view(description.id)]

    def _form_view(self, process_id: str) -> pn.viewable.Viewable:
        view = self._views.get(process_id)
        if view is None:
            from procdeck.gui.forms import InputFormView

            view = InputFormView(self.state.forms[process_id])
            self._views[process_id] = view
        return view

    def _options_view(self, process_id: str) -> pn.viewable.Viewable:
        view = self._option_views.get(process_id)
        if view is None:
            options = self.state.options[process_id]
            view = RequestOptionsView(options) if options.has_choices else pn.Spacer(height=0)
            self._option_views[process_id] = view
        return view

    def _show_problem(self, *_: object) -> None:
        problem = self.state.problem
        if problem is None:
            return
        text = escape(problem.title) + (f": {escape(problem.detail)}" if problem.detail else "")
        self.status_line.object = f'<span class="pd-hint pd-{problem.kind}">{text}</span>'
        notifications = getattr(pn.state, "notifications", None)
        if notifications is not None:
            notify = getattr(notifications, problem.kind, notifications.error)
            notify(text, duration=8000 if problem.kind == "error" else 4000)

    def _show_last_job(self, *_: object) -> None:
        job = self.state.last_job
        if job is None:
            return
        status = job.status
        if self.state.last_sync and isinstance(status, JobStatus) and status.is_final:
            kind = "success" if status == JobStatus.SUCCESSFUL else "error"
            self.status_line.object = (
                f'<span class="pd-hint pd-{kind}">Ran job <code>{escape(job.jobID)}</code>'
                f" synchronously: {escape(status.value)} (results in Jobs)</span>"
            )
            return
        self.status_line.object = (
            f'<span class="pd-hint pd-success">Started job <code>{escape(job.jobID)}</code>'
            " (live status in Jobs)</span>"
        )

    # -- view -> state ---------------------------------------------------------------------

    async def _on_execute(self, _event: Any) -> None:
        await self.state.execute()

    def _on_retry(self, _event: Any) -> None:
        self.state.connection.retry_now()

    def _on_theme_toggle(self, _event: Any) -> None:
        # Panel picks its theme when a session starts, so the page reloads with
        # ?theme=...; the drafts wait in the handover store under a one-time token.
        location = pn.state.location
        if location is None:
            return
        token = HANDOVER.put(self.state.snapshot())
        target = "default" if self.theme == DARK else "dark"
        query = {**location.query_params, "theme": target, HANDOVER_ARG: token}
        # In this order: a new search alone only changes the address bar; turning
        # ``reload`` on then reloads the page at that address (one navigation). It cannot
        # be on from the start: Panel 1.9 never sends True (its Bokeh model's default)
        # to the browser, where the default is False.
        location.search = "?" + urlencode(query)
        location.reload = True

    def _take_handover(self) -> None:
        """Restore what the session this one replaces handed over (theme switch)."""
        args = getattr(pn.state, "session_args", None) or {}
        tokens = args.get(HANDOVER_ARG) or []
        token = tokens[0] if tokens else None
        if isinstance(token, bytes):
            token = token.decode("utf-8", "replace")
        snapshot = HANDOVER.take(token)
        if isinstance(snapshot, dict):
            self.state.restore(snapshot)

    def _on_loaded_file(self, *_: object) -> None:
        try:
            unknown = self.state.load_request(self.preview.loaded_text)
        except RequestLoadError as error:
            self.state.report_problem("Could not load the request", str(error))
            return
        name = self.preview.loaded_name or "the file"
        if unknown:
            self.state.report_problem(
                f"Loaded {name}", "Ignored inputs this process does not have: "
                + ", ".join(unknown), kind="warning",
            )
        else:
            self.state.report_problem(f"Loaded {name}", kind="success")

    # -- other ways to show the app ------------------------------------------------------------

    def to_ipywidget(self) -> Any:
        """The app as an ipywidget, for ipywidgets layouts in a notebook (and VS Code, Colab)."""
        from procdeck.gui.frontend import as_widget

        return as_widget(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        if self.notebook:
            from procdeck.gui.frontend import repr_mimebundle

            return repr_mimebundle(self, include, exclude)
        return super()._repr_mimebundle_(include, exclude)

    def run_again(self, process_id: str, request: dict[str, Any]) -> None:
        """Select ``process_id`` and refill its form with ``request`` (from the job table)."""

        async def refill() -> None:
            await self.state.reuse_request(process_id, request)

        pn.state.execute(refill)


def _is_set(value: object) -> bool:
    return value is not None


def _is_offline(status: str) -> bool:
    return status == ConnectionStatus.OFFLINE


def _process_io_html(description: ProcessDescription | None) -> str:
    return process_io_html(description) if description is not None else ""


def _execute_label(executing: bool) -> str:
    return "Executing…" if executing else "Execute"


def _execute_disabled(blockers: list[str], executing: bool) -> bool:
    return bool(blockers) or executing  # AppState.can_execute, from its parts


def _blockers_html(blockers: list[str]) -> str:
    if not blockers:
        return ""
    items = "".join(f"<li>{escape(reason)}</li>" for reason in blockers)
    return f'<div class="pd-blockers" role="alert">Execute is disabled:<ul>{items}</ul></div>'


def _request_text(request: dict[str, Any]) -> str:
    # as RequestPreview.show writes it
    return json.dumps(request, indent=2, ensure_ascii=False, default=str)


def _pane(*objects: Any, kind: str, footer: Any = None) -> pn.Column:
    """A scrolling pane, optionally with a footer that stays in view below the scrolling part.

    The content sits in one inner column of natural height: in the height-limited
    pane (a flex column) the parts would otherwise shrink and overlap.
    """
    css = stylesheets()
    content = pn.Column(*objects, css_classes=["pd-pane-content"], stylesheets=css,
                        sizing_mode="stretch_width", margin=0)
    if footer is None:
        return pn.Column(content, css_classes=["pd-pane", kind], stylesheets=css, margin=0)
    scroller = pn.Column(content, css_classes=["pd-scroll"], stylesheets=css,
                         sizing_mode="stretch_width", margin=0)
    return pn.Column(scroller, footer, css_classes=["pd-pane", "pd-split", kind],
                     stylesheets=css, margin=0)


class _JobsArea:
    """The right pane: this session's job poller, the job table and the selected job's details.

    The views come from :mod:`procdeck.gui.jobs`; the app creates one poller per
    session, tracks every job it starts, and stops the poller with the session.
    With ``lazy`` the table's Tabulator joins the page on :meth:`mount` (its heading,
    filters and the details are there at once); polling starts with the session.
    """

    def __init__(self, client: AnyClient, app: App, *, lazy: bool = False) -> None:
        from procdeck.gui import jobs

        self.app = app
        self.poller = jobs.JobPoller(client)
        self.details = jobs.JobDetailsView(client, self.poller)
        self.table = jobs.JobTable(self.poller, on_run_again=self._run_again,
                                   on_select=self.select, defer_table=lazy)

    @property
    def mounted(self) -> bool:
        """Whether the job table is in the page."""
        return self.table.table_shown

    def mount(self) -> None:
        """Put the job table into the page (once)."""
        self.table.show_table()

    def panels(self) -> list[Any]:
        return [self.table, self.details]

    def start(self) -> None:
        """Start polling (the app stops it with the session, see :meth:`App.stop`)."""
        self.poller.start()

    def select(self, job_id: str) -> None:
        self.details.job_id = job_id

    def wake(self) -> None:
        """Poll now (the server is back)."""
        self.poller.wake()

    def stop(self) -> None:
        self.poller.stop()

    def track(self, job: Any, process_id: str, request: dict[str, Any]) -> None:
        self.poller.track(job.jobID, process_id=process_id, request=request)
        self.mount()  # a job was just started: show it now
        self.table.open_job(job.jobID)

    def _run_again(self, job: Any, request: dict[str, Any]) -> None:
        if job.processID:
            self.app.run_again(job.processID, request)

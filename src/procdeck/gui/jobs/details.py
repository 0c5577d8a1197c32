"""The selected job: its status (live), its request, and its results or its error.

The status part follows the poller's diffs; the outcome part is built once the
job is final: a :class:`~procdeck.gui.results.ResultView` for a successful job,
the error (message, RFC 7807 title and detail, the server's traceback when it
sends one) for a failed one. All server text is escaped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from html import escape
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from procdeck.client.errors import ClientError
from procdeck.client.kinds import AnyClient
from procdeck.gui.jobs.poller import JobDiff, JobPoller
from procdeck.gui.jobs.rows import duration_seconds, format_duration, status_badge, to_datetime
from procdeck.gui.jobs.session import document_dispatcher, on_session_end
from procdeck.gui.jobs.styles import CARD_CSS
from procdeck.gui.runtime import call_client, spawn
from procdeck.ogc.models import JobInfo, JobStatus

__all__ = ["ErrorView", "JobDetailsView"]


def _html(markup: str, **params: Any) -> pn.pane.HTML:
    params.setdefault("sizing_mode", "stretch_width")
    params.setdefault("margin", (0, 4))
    return pn.pane.HTML(markup, stylesheets=[CARD_CSS], **params)


def _absolute(value: Any) -> str:
    when = to_datetime(value)
    if when is not None:
        return when.strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value) if value else "—"


class ErrorView(Viewer):
    """Why a job failed: its message, and what the server answers for its results."""

    title = param.String(default=None, allow_None=True, doc="RFC 7807 title the server sent.")
    detail = param.String(default=None, allow_None=True, doc="RFC 7807 detail the server sent.")
    traceback = param.String(default=None, allow_None=True, doc="The server's traceback, if sent.")

    def __init__(
        self, client: AnyClient, job: JobInfo, *, load: bool = True, **params: Any
    ) -> None:
        super().__init__(**params)
        self.client = client
        self.job = job
        self._dispatch = document_dispatcher()
        self._layout = pn.Column(_html(self._markup(loading=True)), sizing_mode="stretch_width",
                                 margin=0)
        if load:
            spawn(self.load())

    def __panel__(self) -> pn.Column:
        return self._layout

    async def load(self) -> None:
        """Ask the server for the results: a failed job answers with its error document."""
        try:
            await call_client(self.client.get_job_results, self.job.jobID)
        except ClientError as exc:
            values = {"title": exc.title, "detail": exc.detail or exc.message,
                      "traceback": exc.traceback}
        else:
            values = {"title": None, "detail": "The server sent results for this failed job.",
                      "traceback": None}
        self._dispatch(partial(self._show, values))

    def _show(self, values: dict[str, Any]) -> None:
        self.param.update(**values)
        self._layout[:] = [_html(self._markup(loading=False))]

    def _markup(self, *, loading: bool) -> str:
        parts = ['<div aria-live="polite">']
        parts.append(f'<div class="pd-error-title">Job {escape(self.job.jobID)} failed</div>')
        if self.job.message:
            parts.append(f'<div class="pd-section">Message</div>'
                         f'<pre class="pd-pre">{escape(self.job.message)}</pre>')
        if loading:
            parts.append('<div class="pd-muted">Asking the server for details…</div>')
        else:
            if self.title or self.detail:
                parts.append('<div class="pd-section">Server answer</div><dl class="pd-kv">')
                if self.title:
                    parts.append(f"<dt>Title</dt><dd>{escape(self.title)}</dd>")
                if self.detail:
                    parts.append(f"<dt>Detail</dt><dd>{escape(self.detail)}</dd>")
                parts.append("</dl>")
            if self.traceback:
                parts.append('<div class="pd-section">Server traceback</div>'
                             f'<pre class="pd-pre pd-trace">{escape(self.traceback)}</pre>')
        parts.append("</div>")
        return "".join(parts)


class JobDetailsView(Viewer):
    """Details of the job ``job_id``: live status, request, results or error."""

    job_id = param.String(default=None, allow_None=True, doc="The job to show (None: nothing).")

    def __init__(self, client: AnyClient, poller: JobPoller, **params: Any) -> None:
        super().__init__(**params)
        self.client = client
        self.poller = poller
        self._dispatch = document_dispatcher()
        self._outcome_for: tuple[str, str] | None = None
        self._summary = _html(self._summary_html())
        self._outcome = pn.Column(sizing_mode="stretch_width", margin=0)
        self.outcome: Any = None
        self._layout = pn.Column(self._summary, self._outcome, sizing_mode="stretch_width",
                                 margin=(8, 0, 0, 0))
        self._unsubscribe = poller.subscribe(self._on_diff)
        self.param.watch(self._on_job_id, "job_id")
        on_session_end(self._unsubscribe)
        if self.job_id:
            self.refresh()

    def __panel__(self) -> pn.Column:
        return self._layout

    @property
    def job(self) -> JobInfo | None:
        """The shown job's latest status, as the poller knows it."""
        return self.poller.jobs.get(self.job_id) if self.job_id else None

    def _on_job_id(self, _event: param.parameterized.Event) -> None:
        self.refresh()

    def _on_diff(self, diff: JobDiff) -> None:
        job_id = self.job_id
        if job_id and (job_id in diff.changed or job_id in diff.new or job_id in diff.gone):
            self._dispatch(self.refresh)

    def refresh(self) -> None:
        """Redraw the status; build the outcome when the job became final."""
        self._summary.object = self._summary_html()
        job = self.job
        key = (job.jobID, str(job.status)) if job is not None else None
        if key == self._outcome_for:
            return
        self._outcome_for = key
        self.outcome = self._outcome_view(job)
        self._outcome[:] = [self.outcome] if self.outcome is not None else []

    def _outcome_view(self, job: JobInfo | None) -> Any:
        if job is None:
            return None
        if job.status == JobStatus.SUCCESSFUL:
            from procdeck.gui.results.view import ResultView

            return ResultView(self.client, job.jobID)
        if job.status == JobStatus.FAILED:
            return ErrorView(self.client, job)
        if job.status == JobStatus.DISMISSED:
            return _html('<div class="pd-note">The job was dismissed; it has no results.</div>')
        return _html('<div class="pd-muted">The results appear here when the job has '
                     "finished.</div>")

    def _summary_html(self) -> str:
        job_id = self.job_id
        if not job_id:
            return '<div class="pd-muted">Select a job to see its details.</div>'
        job = self.job
        if job is None:
            if self.poller.is_tracked(job_id):
                return (f'<div class="pd-muted">Waiting for the status of job '
                        f"<code>{escape(job_id)}</code>…</div>")
            return (f'<div class="pd-note">Job <code>{escape(job_id)}</code> is not (or no '
                    "longer) on the server.</div>")
        process = self.poller.process_of(job_id) or "—"
        title = self.poller.process_titles.get(process)
        if title:
            process = f"{title} ({process})"
        seconds = duration_seconds(job, to_datetime(job.updated) or _utcnow())
        progress = job.progress
        if progress is None and job.status == JobStatus.SUCCESSFUL:
            progress = 100
        rows = [
            ("Job", f"<code>{escape(job_id)}</code>"),
            ("Process", escape(process)),
            ("Status", status_badge(job.status)),
            ("Progress", f"{progress} %" if progress is not None else "—"),
            ("Message", escape(job.message or "—")),
            ("Created", escape(_absolute(job.created))),
            ("Started", escape(_absolute(job.started))),
            ("Finished", escape(_absolute(job.finished))),
            ("Duration", format_duration(seconds) if seconds is not None else "—"),
        ]
        items = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows)
        markup = f'<div class="pd-section">Job details</div><dl class="pd-kv">{items}</dl>'
        request = self.poller.request_for(job_id)
        if request is not None:
            text = json.dumps(request, indent=2, ensure_ascii=False, default=str)
            markup += (f'<div class="pd-section">Request</div>'
                       f'<pre class="pd-pre">{escape(text)}</pre>')
        return markup


def _utcnow() -> datetime:
    return datetime.now(UTC)

"""Notifications: a job of this session became successful, failed or dismissed.

Each notification names the job, its process and its new status, and has a
button that opens the job (its results or its error) and one that closes it.
Successful and dismissed ones go away by themselves after a while; failures
stay until closed. They show inside the jobs pane (no floating layer that a
page layout could push out of sight).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from html import escape
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from procdeck.gui.jobs.poller import JobEvent, JobPoller
from procdeck.gui.jobs.rows import status_badge
from procdeck.gui.jobs.session import document_dispatcher, on_session_end
from procdeck.gui.jobs.styles import CARD_CSS
from procdeck.gui.runtime import spawn
from procdeck.ogc.models import JobStatus

__all__ = ["JobNotifications"]

_WORDS = {
    JobStatus.SUCCESSFUL: "finished successfully",
    JobStatus.FAILED: "failed",
    JobStatus.DISMISSED: "was dismissed",
}


class JobNotifications(Viewer):
    """The notifications of this session's jobs (newest first, at most ``max_visible``)."""

    count = param.Integer(default=0, bounds=(0, None), constant=True, doc="Shown now.")

    def __init__(
        self,
        poller: JobPoller,
        *,
        on_open: Callable[[str], Any] | None = None,
        max_visible: int = 3,
        hide_after: float = 20.0,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        self.poller = poller
        self._on_open = on_open
        self._max_visible = max_visible
        self._hide_after = hide_after
        self._dispatch = document_dispatcher()
        self._layout = pn.Column(sizing_mode="stretch_width", margin=0)
        self.events: list[JobEvent] = []
        unsubscribe = poller.subscribe_events(self._on_event)
        on_session_end(unsubscribe)

    def __panel__(self) -> pn.Column:
        return self._layout

    def _on_event(self, event: JobEvent) -> None:
        self._dispatch(partial(self.add, event))

    def add(self, event: JobEvent) -> pn.Row:
        """Show a notification for ``event`` (called on the document's thread)."""
        self.events.append(event)
        job_id = event.job_id
        process = self.poller.process_of(job_id)
        title = self.poller.process_titles.get(process or "", process)
        what = _WORDS.get(event.status, str(event.status))
        message = ""
        if event.status == JobStatus.FAILED and event.job.message:
            message = f'<div class="pd-muted">{escape(event.job.message)}</div>'
        tone = "pd-bad" if event.status == JobStatus.FAILED else ""
        text = pn.pane.HTML(
            f'<div class="pd-note {tone}" aria-live="polite">{status_badge(event.status)} '
            f"Job <code>{escape(job_id)}</code>"
            + (f" ({escape(title)})" if title else "")
            + f" {escape(what)}.{message}</div>",
            stylesheets=[CARD_CSS], sizing_mode="stretch_width", margin=(0, 4),
        )
        show = pn.widgets.Button(label=f"Show {job_id}", color="primary", width=110,
                                 align="center")
        close = pn.widgets.Button(label="Close", color="light", width=70, align="center")
        toast = pn.Row(text, show, close, sizing_mode="stretch_width",
                       css_classes=["pd-notification"])
        show.on_click(lambda _e: self._open(job_id, toast))
        close.on_click(lambda _e: self.remove(toast))
        self._layout.insert(0, toast)
        while len(self._layout) > self._max_visible:
            self._layout.pop(-1)
        self._set_count()
        if event.status != JobStatus.FAILED and self._hide_after > 0:
            spawn(self._hide_later(toast))
        return toast

    def remove(self, toast: pn.Row) -> None:
        """Close one notification."""
        if toast in self._layout.objects:
            self._layout.remove(toast)
            self._set_count()

    def _open(self, job_id: str, toast: pn.Row) -> None:
        if self._on_open is not None:
            self._on_open(job_id)
        self.remove(toast)

    async def _hide_later(self, toast: pn.Row) -> None:
        await asyncio.sleep(self._hide_after)
        self._dispatch(partial(self.remove, toast))

    def _set_count(self) -> None:
        with param.edit_constant(self):
            self.count = len(self._layout)

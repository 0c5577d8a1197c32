"""The live job table: a Tabulator indexed by job id, patched in place from the poller's diffs.

Changed jobs patch their cells, new jobs are added and gone jobs removed in one
value update that keeps the page, the sort, the filters and the selected job;
with remote pagination only the visible page travels to the browser, so
thousands of jobs stay cheap. Row buttons (``Dismiss``, ``Results``, ``Error``,
``Run again``) are real ``<button>`` elements with accessible names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from html import escape
from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from procdeck._util.reentry import Reentry
from procdeck.client.errors import ClientError
from procdeck.gui.jobs.details import JobDetailsView
from procdeck.gui.jobs.notifications import JobNotifications
from procdeck.gui.jobs.poller import JobDiff, JobPoller
from procdeck.gui.jobs.rows import (
    ACTION_COLUMNS,
    COLUMNS,
    HIDDEN_COLUMNS,
    INDEX,
    TIME_COLUMNS,
    duration_cell,
    duration_seconds,
    job_row,
    time_cell,
)
from procdeck.gui.jobs.session import document_dispatcher, on_session_end, pause_when_hidden
from procdeck.gui.jobs.styles import CARD_CSS, TABLE_CSS
from procdeck.gui.runtime import spawn
from procdeck.ogc.models import JobInfo, JobStatus

__all__ = ["ALL", "JobTable"]

ALL = "All"
_STATUSES = [s.value for s in JobStatus]
_TIME_REFRESH_SECONDS = 15.0
RunAgain = Callable[[JobInfo, dict[str, Any]], Any]
Select = Callable[[str], Any]

_TITLES = {
    INDEX: "Job", "process": "Process", "status": "Status", "progress": "Progress",
    "message": "Message", "created": "Created", "duration": "Duration",
    **{name: "" for name in ACTION_COLUMNS},
}
_FORMATTERS: dict[str, Any] = {
    INDEX: {"type": "plaintext"},
    "process": {"type": "html"},  # escaped in rows.py, with the whole label on hover
    "message": {"type": "plaintext"},
    "status": {"type": "html"},
    # A translucent bar and the palette's text colour read well on light and dark rows.
    "progress": {"type": "progress", "max": 100, "legend": True, "legendAlign": "center",
                 "color": "rgba(37, 99, 235, 0.38)", "legendColor": "var(--pd-text, #1b1f24)"},
    **{name: {"type": "html"} for name in (*TIME_COLUMNS, "duration", *ACTION_COLUMNS)},
}
# Room for a row button (20 px, see styles.py) and the cell's padding and border.
_ACTION_WIDTH = 25
_WIDTHS = dict.fromkeys(ACTION_COLUMNS, _ACTION_WIDTH)
# Tabulator's ``fitColumns`` layout shares the table's width among the columns, so
# nothing scrolls sideways while the minimum widths fit: the widest usual cell or the
# heading, whichever is wider, in DejaVu Sans (the widest common system font). They
# add up to 437 px with the buttons, what the app's job pane offers (440 px). Spare
# width goes to the process and the message (``widthGrow``); the message is the one
# column hidden when there is no room for it (``responsive`` 1; 0 is never hidden):
# the job's details show it, and the search finds it.
_COLUMN_SIZES: dict[str, dict[str, Any]] = {
    INDEX: {"minWidth": 48, "widthGrow": 1},  # "job_12"; longer ids end in "…"
    "process": {"minWidth": 56, "widthGrow": 3},
    "status": {"minWidth": 82, "widthGrow": 0.25},  # the "successful" badge
    "progress": {"minWidth": 56, "widthGrow": 0.25},
    "message": {"minWidth": 160, "widthGrow": 4, "responsive": 1},
    "created": {"minWidth": 64, "widthGrow": 0.25},  # the heading and its sort arrow
    "duration": {"minWidth": 56, "widthGrow": 0.25},  # "3m 05s"
    **{name: {"minWidth": _ACTION_WIDTH, "resizable": False, "hozAlign": "center"}
       for name in ACTION_COLUMNS},
}
_CONFIGURATION = {
    "columnDefaults": {"headerSortTristate": False, "responsive": 0},
    "responsiveLayout": "hide",
    "columns": [{"field": field, **spec} for field, spec in _COLUMN_SIZES.items()],
}
_FILTER_MARGIN = (5, 4)
# Should the table still get less room than its columns need, the buttons stay in
# view at the right edge (only the middle columns would scroll).
_FROZEN = {INDEX: "left", **dict.fromkeys(ACTION_COLUMNS, "right")}


def _now() -> datetime:
    return datetime.now(UTC)


def _filter_frame(df: pd.DataFrame, status: str = ALL, process: str = ALL,
                  text: str = "") -> pd.DataFrame:
    """The rows matching the status and process filters and the search text."""
    if df.empty:
        return df
    mask = pd.Series(True, index=df.index)
    if status and status != ALL:
        mask &= df["status_value"] == status
    if process and process != ALL:
        mask &= df["process_id"] == process
    needle = text.strip().lower()
    if needle:
        mask &= df["search_text"].str.contains(needle, regex=False)
    return df[mask]


class JobTable(Viewer):
    """The jobs of the poller's server in a sortable, filterable, paginated table.

    ``on_select(job_id)`` is called when a row is selected or its Results/Error
    button clicked; without it the table shows the job's details below itself.
    ``on_run_again(job_info, request)`` refills the app's form ("Run again" is
    offered for jobs whose request the poller knows). With ``defer_table`` the
    Tabulator joins the page only on :meth:`show_table` (the served app draws its
    first form before it).
    """

    selected_job = param.String(default=None, allow_None=True, doc="The selected job's id.")
    search = param.String(default="", doc="Text a row must contain (id, process, status, message).")
    status_filter = param.Selector(default=ALL, objects=[ALL, *_STATUSES], doc="Only this status.")
    process_filter = param.Selector(default=ALL, objects=[ALL], doc="Only this process.")
    pending_removal = param.String(default=None, allow_None=True, doc="""
        A finished job whose removal awaits confirmation.""")
    notice = param.String(default=None, allow_None=True, doc="Feedback of the last action.")

    def __init__(
        self,
        poller: JobPoller,
        *,
        on_run_again: RunAgain | None = None,
        on_select: Select | None = None,
        page_size: int = 12,
        defer_table: bool = False,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        self.poller = poller
        self._on_run_again = on_run_again
        self._on_select = on_select
        self._dispatch = document_dispatcher()
        # held while the table selects a row itself (the selected job's row after the rows
        # change, or the row of a job opened elsewhere): that is no person's pick
        self._own_selection = Reentry()
        self._notice_bad = False
        self._times_refreshed = _now()
        self._titles = dict(poller.process_titles)
        now = self._times_refreshed
        self._rows: dict[str, dict[str, Any]] = {
            job_id: self._row(info, now) for job_id, info in poller.jobs.items()
        }
        self.table = pn.widgets.Tabulator(
            self._frame(self._rows),
            pagination="remote",
            page_size=page_size,
            disabled=True,
            selectable=1,
            show_index=True,
            hidden_columns=[*HIDDEN_COLUMNS, *([] if on_run_again else ["again"])],
            sorters=[{"field": "created", "dir": "desc"}],
            formatters=_FORMATTERS,
            titles=_TITLES,
            widths=_WIDTHS,
            frozen_columns=_FROZEN,
            sortable={name: False for name in ACTION_COLUMNS},
            header_align="left",
            layout="fit_columns",
            sizing_mode="stretch_width",
            min_height=120,
            # No side margins: the pane is narrow and every pixel goes to the columns.
            margin=(5, 0),
            container_popup=False,  # nothing pops up (no editors); spares an empty column
            stylesheets=[TABLE_CSS],
            configuration=_CONFIGURATION,
        )
        self.table.add_filter(pn.bind(
            _filter_frame, status=self.param.status_filter,
            process=self.param.process_filter, text=self.param.search,
        ))
        self.table.on_click(self._on_click)
        self.table.param.watch(self._on_selection, "selection")
        self._update_process_options()

        self._header = pn.pane.HTML(self._header_html(), stylesheets=[CARD_CSS],
                                    sizing_mode="stretch_width", margin=(0, 4))
        self._notice_pane = pn.pane.HTML("", stylesheets=[CARD_CSS], visible=False,
                                         sizing_mode="stretch_width", margin=(0, 4))
        self._confirm_text = pn.pane.HTML("", stylesheets=[CARD_CSS], margin=(0, 4),
                                          sizing_mode="stretch_width")
        remove = pn.widgets.Button(label="Remove", color="danger", width=90)
        cancel = pn.widgets.Button(label="Cancel", color="light", width=90)
        remove.on_click(self._confirm_removal)
        cancel.on_click(self._cancel_removal)
        self._confirm = pn.Row(self._confirm_text, remove, cancel, visible=False,
                               sizing_mode="stretch_width", align="center")
        # Filters as the person types (``value_input``), not only on Enter.
        self._search_input = pn.widgets.TextInput(
            name="Search", value=self.search, placeholder="id, process, status, message",
            sizing_mode="stretch_width", min_width=100, margin=_FILTER_MARGIN,
        )
        self._search_input.param.watch(self._on_search_typed, "value_input")
        self.param.watch(self._on_search, "search")
        # Each filter may shrink to its minimum: fixed widths would make the row, and with
        # it the whole job view, wider than a narrow pane, which then cuts off its right side.
        filters = pn.Row(
            self._search_input,
            pn.widgets.Select.from_param(self.param.status_filter, name="Status",
                                         sizing_mode="stretch_width", min_width=90,
                                         max_width=120, margin=_FILTER_MARGIN,
                                         description=None),
            pn.widgets.Select.from_param(self.param.process_filter, name="Process",
                                         sizing_mode="stretch_width", min_width=100,
                                         max_width=160, margin=_FILTER_MARGIN,
                                         description=None),
            sizing_mode="stretch_width", margin=0,
        )
        self.notifications = JobNotifications(poller, on_open=self.open_job)
        self.details = None if on_select is not None else JobDetailsView(poller.client, poller)
        # The Tabulator is the heaviest part of the page for the browser: with
        # ``defer_table`` it waits in its slot for show_table() (the rest is drawn now, so
        # no widget is both new in the page and changing while the table is drawn).
        self._table_parts = [self.table, pause_when_hidden(poller)]
        self._table_slot = pn.Column(*([] if defer_table else self._table_parts),
                                     sizing_mode="stretch_width", margin=0)
        parts: list[Any] = [self._header, filters, self._confirm, self._notice_pane,
                            self.notifications, self._table_slot]
        if self.details is not None:
            parts.append(self.details)
        self._layout = pn.Column(*parts, sizing_mode="stretch_width", margin=0)

        self._unsubscribe = poller.subscribe(self._on_diff)
        self._watchers = [poller.param.watch(
            self._on_poller_state,
            ["error", "connected", "paused", "last_update", "process_titles", "mode"],
        )]
        self.param.watch(self._show_confirmation, "pending_removal")
        self.param.watch(self._show_notice, "notice")
        on_session_end(self.close)

    def __panel__(self) -> pn.Column:
        return self._layout

    def _on_search_typed(self, event: param.parameterized.Event) -> None:
        self.search = event.new or ""

    def _on_search(self, event: param.parameterized.Event) -> None:
        if self._search_input.value_input != event.new:
            self._search_input.value = event.new

    @property
    def table_shown(self) -> bool:
        """Whether the Tabulator is in the page (see ``defer_table``)."""
        return bool(self._table_slot.objects)

    def show_table(self) -> None:
        """Put the deferred Tabulator into the page (once)."""
        if not self.table_shown:
            self._table_slot.objects = list(self._table_parts)

    def close(self) -> None:
        """Stop following the poller (the session ended)."""
        self._unsubscribe()
        for watcher in self._watchers:
            self.poller.param.unwatch(watcher)
        self._watchers = []

    # -- rows -------------------------------------------------------------------------------

    def _row(self, info: JobInfo, now: datetime) -> dict[str, Any]:
        return job_row(
            info, now, titles=self.poller.process_titles,
            process_id=self.poller.process_of(info.jobID),
            can_run_again=self._can_run_again,
        )

    def _can_run_again(self, job_id: str) -> bool:
        return self._on_run_again is not None and self.poller.request_for(job_id) is not None

    @staticmethod
    def _frame(rows: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
        frame = pd.DataFrame.from_dict(dict(rows), orient="index", columns=list(COLUMNS))
        if frame.empty:
            frame = pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS})
        frame.index = frame.index.astype(object)
        frame.index.name = INDEX
        return frame

    @property
    def job_ids(self) -> list[str]:
        """The ids of the jobs in the table, in the table's (unsorted) order."""
        return list(self.table.value.index)

    def row(self, job_id: str) -> dict[str, Any]:
        """The cells of a job's row (what the browser receives)."""
        return dict(self._rows[job_id])

    # -- applying the poller's diffs --------------------------------------------------------

    def _on_diff(self, diff: JobDiff) -> None:
        self._dispatch(partial(self.apply_diff, diff))

    def apply_diff(self, diff: JobDiff) -> None:
        """Patch changed cells, add new rows, drop gone ones; keep page, sort and selection."""
        now = _now()
        patches: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        new_rows: dict[str, dict[str, Any]] = {}
        for job_id, info in {**diff.changed, **diff.new}.items():
            row = self._row(info, now)
            old = self._rows.get(job_id)
            if old is None:
                new_rows[job_id] = row
                continue
            for column, value in row.items():
                if old[column] != value:
                    patches[column].append((job_id, value))
            self._rows[job_id] = row
        gone = [job_id for job_id in diff.gone if job_id in self._rows]
        for job_id in gone:
            del self._rows[job_id]
        self._rows.update(new_rows)
        if new_rows or gone:
            frame = self.table.value
            if gone:
                frame = frame.drop(index=gone)
            for column, cells in patches.items():
                for job_id, value in cells:
                    frame.at[job_id, column] = value
            if new_rows:
                frame = pd.concat([frame, self._frame(new_rows)]) if len(frame) else (
                    self._frame(new_rows))
            self._set_value(frame)
            self._update_process_options()
        elif patches:
            self._patch(dict(patches))
        if diff:
            self._header.object = self._header_html()

    def _patch(self, patches: dict[str, list[tuple[str, Any]]]) -> None:
        if not self.table.sorters and self.table.page > 1:
            # Panel patches remote pages by absolute row number: only safe on page 1.
            frame = self.table.value.copy()
            for column, cells in patches.items():
                for job_id, value in cells:
                    frame.at[job_id, column] = value
            self._set_value(frame)
            return
        self.table.patch(patches, as_index=True)

    def _set_value(self, frame: pd.DataFrame) -> None:
        selected = self.selected_job
        page = self.table.page
        with self._own_selection:
            self.table.value = frame
            if selected is not None and selected in frame.index:
                self.table.selection = [int(frame.index.get_loc(selected))]
            if self.table.page != page:
                self.table.page = min(page, max(1, self._page_count()))

    def _page_count(self) -> int:
        size = self.table.page_size or 1
        return -(-len(self.table.value) // size)

    def _update_process_options(self) -> None:
        processes = sorted({row["process_id"] for row in self._rows.values() if row["process_id"]})
        options = [ALL, *processes]
        if self.process_filter not in options:
            options.append(self.process_filter)
        if options != self.param.process_filter.objects:
            self.param.process_filter.objects = options

    def _refresh_processes(self) -> None:
        """Show process titles next to ids once the poller has loaded them."""
        self._titles = dict(self.poller.process_titles)
        now = _now()
        patches: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        for job_id, info in self.poller.jobs.items():
            row = self._rows.get(job_id)
            if row is None:
                continue
            fresh = self._row(info, now)
            for column in ("process", "search_text"):
                if row[column] != fresh[column]:
                    row[column] = fresh[column]
                    patches[column].append((job_id, fresh[column]))
        if patches:
            self._patch(dict(patches))

    def refresh_times(self) -> None:
        """Recompute the relative times and running durations; patch the cells that changed."""
        now = _now()
        self._times_refreshed = now
        patches: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        for job_id, info in self.poller.jobs.items():
            row = self._rows.get(job_id)
            if row is None:
                continue
            fresh = {name: time_cell(getattr(info, name), now) for name in TIME_COLUMNS}
            fresh["duration"] = duration_cell(duration_seconds(info, now))
            for column, value in fresh.items():
                if row[column] != value:
                    row[column] = value
                    patches[column].append((job_id, value))
        if patches:
            self._patch(dict(patches))

    # -- header and poller state ------------------------------------------------------------

    def _on_poller_state(self, *_events: param.parameterized.Event) -> None:
        # Several of the watched parameters change in one update (a recovered tick clears
        # ``error`` and sets ``connected`` and ``last_update``): they arrive as one batch.
        self._dispatch(self._refresh_state)

    def _refresh_state(self) -> None:
        self._header.object = self._header_html()
        if self.poller.process_titles != self._titles:
            self._refresh_processes()
        if (_now() - self._times_refreshed).total_seconds() >= _TIME_REFRESH_SECONDS:
            self.refresh_times()

    def _header_html(self) -> str:
        poller = self.poller
        total = len(self._rows)
        active = sum(
            1 for row in self._rows.values()
            if row["status_value"] in (JobStatus.ACCEPTED, JobStatus.RUNNING)
        )
        count = f"{total} job{'s' if total != 1 else ''}"
        if active:
            count += f" · {active} active"
        if poller.error:
            state, tone = poller.error, " pd-bad"
        elif poller.paused:
            state, tone = "Paused while the page is hidden", ""
        elif poller.last_update is not None:
            state = f"Updated {poller.last_update.astimezone(UTC):%H:%M:%S} UTC"
            tone = ""
        else:
            state, tone = "Loading jobs…", ""
        if poller.mode == "tracked" and not poller.error:
            state += " · following this session's jobs (the server lists no jobs)"
        return (
            '<div class="pd-jobs-head"><span class="pd-jobs-title">Jobs</span>'
            f'<span class="pd-jobs-count">{escape(count)}</span>'
            f'<span class="pd-jobs-state{tone}" aria-live="polite">{escape(state)}</span></div>'
        )

    # -- selection and row actions ----------------------------------------------------------

    def _on_selection(self, event: param.parameterized.Event) -> None:
        if self._own_selection or not event.new:
            return
        index = self.table.value.index
        if 0 <= event.new[0] < len(index):
            self.open_job(str(index[event.new[0]]))

    def open_job(self, job_id: str) -> None:
        """Select ``job_id`` and show its details (results, or error)."""
        self.selected_job = job_id
        if job_id in self.table.value.index:
            position = int(self.table.value.index.get_loc(job_id))
            if self.table.selection != [position]:
                with self._own_selection:
                    self.table.selection = [position]
        if self._on_select is not None:
            self._on_select(job_id)
        elif self.details is not None:
            self.details.job_id = job_id

    def _on_click(self, event: Any) -> None:
        if event.column not in ACTION_COLUMNS:
            return
        index = self.table.value.index
        if not 0 <= event.row < len(index):
            return
        job_id = str(index[event.row])
        if not self._rows.get(job_id, {}).get(event.column):
            return  # no button in this cell (e.g. Results of a running job)
        self.run_action(event.column, job_id)

    def run_action(self, action: str, job_id: str) -> None:
        """What a row button does: ``dismiss``, ``open`` (also ``results``, ``error``), ``again``.

        ``open`` is the column of the Results (successful job) and Error (failed job)
        buttons; both show the job's details.
        """
        info = self.poller.jobs.get(job_id)
        if action == "dismiss":
            if info is not None and info.is_final:
                self.pending_removal = job_id  # removing results is not undoable: ask first
            else:
                spawn(self.dismiss(job_id))
        elif action in ("open", "results", "error"):
            self.open_job(job_id)
        elif action == "again":
            request = self.poller.request_for(job_id)
            if self._on_run_again is not None and request is not None and info is not None:
                self._on_run_again(info, request)

    async def dismiss(self, job_id: str) -> None:
        """Dismiss a job through the poller; the outcome shows as a notice."""
        try:
            info = await self.poller.dismiss(job_id)
        except ClientError as exc:
            self._set_notice(f"Could not dismiss {job_id}: {exc}", bad=True)
            return
        if info.status == JobStatus.DISMISSED:
            self._set_notice(f"Dismissed {job_id}", bad=False)
        else:
            self._set_notice(f"Asked to dismiss {job_id} (now {info.status})", bad=False)

    def _confirm_removal(self, _event: Any = None) -> None:
        job_id = self.pending_removal
        self.pending_removal = None
        if job_id is not None:
            spawn(self.dismiss(job_id))

    def _cancel_removal(self, _event: Any = None) -> None:
        self.pending_removal = None

    def _show_confirmation(self, event: param.parameterized.Event) -> None:
        job_id = event.new
        if job_id:
            self._confirm_text.object = (
                f'<div class="pd-note">Remove finished job <code>{escape(job_id)}</code> '
                "and its results from the server?</div>"
            )
        self._confirm.visible = bool(job_id)

    def _set_notice(self, text: str | None, *, bad: bool) -> None:
        def update() -> None:
            self._notice_bad = bad
            self.notice = text
        self._dispatch(update)

    def _show_notice(self, event: param.parameterized.Event) -> None:
        text = event.new
        tone = "pd-bad" if self._notice_bad else "pd-ok"
        self._notice_pane.object = (
            f'<div class="pd-note {tone}" aria-live="polite">{escape(text)}</div>' if text else ""
        )
        self._notice_pane.visible = bool(text)

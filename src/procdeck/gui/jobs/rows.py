"""One job as one table row: the cells the job table shows, as plain data. Panel-free.

Server text (ids, messages, statuses) only ever reaches the page escaped: cells
that carry markup (badges, process labels with a hover title, times, action buttons) are
built here with
:func:`html.escape`, and plain-text columns use Tabulator's ``plaintext``
formatter, which escapes too.

Times show relative ("3 min ago") with the absolute UTC time on hover. Their
markup starts with the ISO timestamp and durations with a zero-padded number of
seconds, so sorting the cells as strings sorts them chronologically.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from html import escape
from typing import Any

from procdeck.ogc.models import JobInfo, JobStatus

__all__ = [
    "ACTION_COLUMNS",
    "ACTION_LABELS",
    "COLUMNS",
    "HIDDEN_COLUMNS",
    "INDEX",
    "TIME_COLUMNS",
    "duration_seconds",
    "format_duration",
    "job_row",
    "relative_time",
    "status_badge",
    "to_datetime",
]

INDEX = "job"
# Started and finished are in the job's details: a row has room for one time only.
TIME_COLUMNS = ("created",)
# The button columns, last in the row. ``open`` holds Results (successful job) or Error
# (failed job): a job is never both, so one narrow column serves the two.
ACTION_COLUMNS = ("open", "again", "dismiss")
# Accessible names of the row buttons (browser tests and screen readers find them by these).
ACTION_LABELS = {"dismiss": "Dismiss", "results": "Results", "error": "Error", "again": "Run again"}
_ACTION_GLYPHS = {"dismiss": "✕", "results": "▤", "error": "⚠", "again": "↻"}
HIDDEN_COLUMNS = ("status_value", "process_id", "search_text")
# The buttons come last, after the hidden columns too: the table freezes them to the
# right edge, and Panel matches its column settings to the columns by position after
# moving the frozen ones there.
COLUMNS = (
    "process", "status", "progress", "message", *TIME_COLUMNS, "duration", *HIDDEN_COLUMNS,
    *ACTION_COLUMNS,
)

_STATUS_TONES = {
    JobStatus.ACCEPTED: "idle",
    JobStatus.RUNNING: "accent",
    JobStatus.SUCCESSFUL: "ok",
    JobStatus.FAILED: "bad",
    JobStatus.DISMISSED: "warn",
}


def status_badge(status: JobStatus | str) -> str:
    """A coloured badge for a status (unknown statuses stay visible, in neutral colours)."""
    text = str(status)
    tone = _STATUS_TONES.get(status, "idle") if isinstance(status, JobStatus) else "unknown"
    return f'<span class="pd-status pd-status-{tone}">{escape(text)}</span>'


def to_datetime(value: datetime | str | None) -> datetime | None:
    """An aware UTC datetime from a model field (strings the model could not parse: None)."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # servers in the wild omit the zone; assume UTC
    return value.astimezone(UTC)


def relative_time(when: datetime, now: datetime, *, compact: bool = False) -> str:
    """``when`` relative to ``now``: "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago".

    ``compact`` (the job table's narrow column): "42s ago", "5m ago", "3h ago", "2d ago".
    """
    seconds = (now - when).total_seconds()
    if seconds < 0:
        if seconds >= -60:
            return "just now"  # clocks a little apart
        return "in future" if compact else "in the future"
    if seconds < 5:
        return "just now"
    for unit, size, short in (("d", 86400, "d"), ("h", 3600, "h"), ("min", 60, "m")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count}{short} ago" if compact else f"{count} {unit} ago"
    return f"{int(seconds)}s ago" if compact else f"{int(seconds)} s ago"


def time_cell(value: datetime | str | None, now: datetime) -> str:
    """Markup of a time cell: compact relative text, absolute time as tooltip, sortable."""
    if value is None:
        return ""
    when = to_datetime(value)
    if when is None:  # a string the server sent that is no timestamp: show it as is
        text = escape(str(value))
        return f'<span title="{text}">{text}</span>'
    iso = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    absolute = when.strftime("%Y-%m-%d %H:%M:%S UTC")
    text = relative_time(when, now, compact=True)
    return f'<time datetime="{iso}" title="{absolute}">{text}</time>'


def duration_seconds(info: JobInfo, now: datetime) -> float | None:
    """Run time: finished (or now, while running) minus started; None when not started."""
    started = to_datetime(info.started)
    if started is None:
        return None
    end = (to_datetime(info.finished) or to_datetime(info.updated)) if info.is_final else None
    end = end or now
    return max(0.0, (end - started).total_seconds())


def format_duration(seconds: float, *, compact: bool = False) -> str:
    """``0.4 s``, ``12.3 s``, ``3 min 05 s``, ``2 h 04 min``; compact: ``3m 05s``, ``2h 04m``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        minutes, rest = divmod(int(seconds), 60)
        return f"{minutes}m {rest:02d}s" if compact else f"{minutes} min {rest:02d} s"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h {rest // 60:02d}m" if compact else f"{hours} h {rest // 60:02d} min"


def duration_cell(seconds: float | None) -> str:
    """Markup of the duration cell: compact, the long form on hover; sorts numerically.

    The hidden key in front makes string sorting numeric; the compact form keeps
    the column as narrow as its heading.
    """
    if seconds is None or math.isnan(seconds):
        return ""
    return (f'<span data-sort="{seconds:012.3f}"></span>'
            f'<span title="{format_duration(seconds)}">'
            f"{format_duration(seconds, compact=True)}</span>")


def action_button(action: str, job_id: str) -> str:
    """A row action button with its accessible name (``Dismiss``, ``Results``, ...)."""
    label = ACTION_LABELS[action]
    return (
        f'<button type="button" class="pd-row-action pd-action-{action}" '
        f'aria-label="{label}" title="{label} {escape(job_id, quote=True)}">'
        f'{_ACTION_GLYPHS[action]}</button>'
    )


def process_label(process_id: str | None, titles: Mapping[str, str]) -> str:
    """"Title (id)" when the title is known, else the id."""
    if not process_id:
        return ""
    title = titles.get(process_id)
    return f"{title} ({process_id})" if title and title != process_id else process_id


def job_row(
    info: JobInfo,
    now: datetime,
    *,
    titles: Mapping[str, str] | None = None,
    process_id: str | None = None,
    can_run_again: Callable[[str], bool] | None = None,
) -> dict[str, Any]:
    """The cells of one job's row (without the index, which is the job id)."""
    job_id = info.jobID
    status = info.status
    process = info.processID or process_id
    progress = info.progress
    if progress is None:
        progress = 100 if status == JobStatus.SUCCESSFUL else 0
    opens = {JobStatus.SUCCESSFUL: "results", JobStatus.FAILED: "error"}.get(status)
    again = bool(can_run_again and can_run_again(job_id))
    label = process_label(process, titles or {})
    message = info.message or ""
    return {
        # The narrow column cuts long labels short ("…"): the whole label shows on hover.
        "process": f'<span title="{escape(label)}">{escape(label)}</span>' if label else "",
        "status": status_badge(status),
        "progress": int(progress),
        "message": message,
        **{name: time_cell(getattr(info, name), now) for name in TIME_COLUMNS},
        "duration": duration_cell(duration_seconds(info, now)),
        "open": action_button(opens, job_id) if opens else "",
        "again": action_button("again", job_id) if again else "",
        "dismiss": action_button("dismiss", job_id),
        "status_value": str(status),
        "process_id": process or "",
        "search_text": " ".join((job_id, label, str(status), message)).lower(),
    }

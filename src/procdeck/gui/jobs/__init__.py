"""The live job table: a shared poller (view-model), the table, job details, notifications.

``procdeck.gui.jobs.poller`` is Panel-free; the views import Panel. Names are
loaded on first use so that importing the poller does not import Panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from procdeck._util.lazy import lazy_exports

if TYPE_CHECKING:
    from procdeck.gui.jobs.details import JobDetailsView
    from procdeck.gui.jobs.notifications import JobNotifications
    from procdeck.gui.jobs.poller import JobDiff, JobEvent, JobPoller
    from procdeck.gui.jobs.session import bind_to_session
    from procdeck.gui.jobs.table import JobTable

_LAZY = {
    "JobPoller": "procdeck.gui.jobs.poller",
    "JobDiff": "procdeck.gui.jobs.poller",
    "JobEvent": "procdeck.gui.jobs.poller",
    "JobTable": "procdeck.gui.jobs.table",
    "JobDetailsView": "procdeck.gui.jobs.details",
    "JobNotifications": "procdeck.gui.jobs.notifications",
    "bind_to_session": "procdeck.gui.jobs.session",
}

__all__ = [
    "JobDetailsView",
    "JobDiff",
    "JobEvent",
    "JobNotifications",
    "JobPoller",
    "JobTable",
    "bind_to_session",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

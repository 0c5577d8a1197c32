"""The app's job table joins a served page late: never over a fresh form, at once for a job.

No server is needed: nothing here reaches the network (the client points at a closed port).
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import panel as pn
import pytest

from procdeck.client import Client
from procdeck.gui.app import JOBS_QUIET_S, App, _JobsArea


@pytest.fixture
def app():
    with Client("http://127.0.0.1:9", timeout=1) as client:
        app = App(client)
        # As served: the job table waits for the page (App shows it at once elsewhere).
        app.jobs = _JobsArea(client, app, lazy=True)
        yield app
        app.stop()


def _in_page(app: App) -> list[pn.widgets.Tabulator]:
    return [
        tabulator for panel in app.jobs.panels()
        for tabulator in panel.__panel__().select(pn.widgets.Tabulator)
    ]


def test_outside_a_served_page_the_job_table_is_shown_at_once() -> None:
    with Client("http://127.0.0.1:9", timeout=1) as client:
        app = App(client)
        assert app.jobs.mounted and _in_page(app) == [app.jobs.table.table]


def test_a_lazy_job_table_shows_its_heading_and_filters_until_mounted(app: App) -> None:
    jobs = app.jobs
    assert not jobs.mounted and _in_page(app) == []
    layout = jobs.table.__panel__()
    assert "Loading jobs…" in layout.objects[0].object  # heading, count and state
    assert [w.name for w in layout.select(pn.widgets.Select)] == ["Status", "Process"]
    jobs.mount()
    assert jobs.mounted and _in_page(app) == [jobs.table.table]
    jobs.mount()  # once only
    assert _in_page(app) == [jobs.table.table]


def test_the_table_waits_while_a_process_opens_or_its_form_was_just_drawn(app: App) -> None:
    app._form_shown_at = time.monotonic()
    app._mount_jobs_when_idle()
    assert not app.jobs.mounted  # a form was just drawn
    app._form_shown_at = time.monotonic() - JOBS_QUIET_S - 0.1
    app.state.loading = "primes_between"
    app._mount_jobs_when_idle()
    assert not app.jobs.mounted  # a process is opening
    app.state.loading = ""
    app._mount_jobs_when_idle()
    assert app.jobs.mounted


def test_a_started_job_shows_the_table_and_opens_the_job(app: App) -> None:
    app._form_shown_at = time.monotonic()  # even right after a form: the user wants the job
    app.jobs.track(SimpleNamespace(jobID="job-1"), "primes_between", {"inputs": {}})
    assert app.jobs.mounted and _in_page(app) == [app.jobs.table.table]
    assert app.jobs.table.selected_job == "job-1" and app.jobs.details.job_id == "job-1"
    assert app.jobs.poller.is_tracked("job-1")

"""The job table's own selections are no person's pick (no server, no browser)."""

from __future__ import annotations

from typing import Any, cast

from procdeck.gui.jobs.poller import JobDiff, JobPoller
from procdeck.gui.jobs.table import JobTable
from procdeck.models import JobInfo


def job(job_id: str) -> JobInfo:
    return JobInfo.model_validate({"jobID": job_id, "processID": "p", "status": "running"})


def table_of(*job_ids: str) -> tuple[JobTable, list[str]]:
    """A table (fed by hand, its poller never ticks) and the jobs its on_select got."""
    picked: list[str] = []
    poller = JobPoller(cast(Any, object()))  # never ticks: needs no client
    table = JobTable(poller, on_select=picked.append)
    table.apply_diff(JobDiff(new={job_id: job(job_id) for job_id in job_ids}))
    return table, picked


def test_a_row_picked_in_the_page_opens_its_job_once() -> None:
    table, picked = table_of("a", "b")
    table.table.selection = [table.job_ids.index("b")]
    assert picked == ["b"] and table.selected_job == "b"


def test_opening_a_job_selects_its_row_without_opening_it_again() -> None:
    table, picked = table_of("a", "b")
    table.open_job("a")
    assert picked == ["a"] and table.table.selection == [table.job_ids.index("a")]


def test_rows_coming_and_going_keep_the_selection_without_opening_the_job_again() -> None:
    table, picked = table_of("a", "b")
    table.open_job("b")
    table.apply_diff(JobDiff(new={"c": job("c")}, gone=("a",)))
    assert table.job_ids == ["b", "c"] and table.table.selection == [0]
    assert picked == ["b"]

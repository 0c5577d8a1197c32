"""The job table's view-model side against the real server (no browser).

The table applies the poller's diffs: changed cells are patched, new jobs added,
gone ones dropped; the selected job stays selected. Row actions call the poller
and the app's callbacks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest

from procdeck import Client
from procdeck.gui.jobs.poller import JobPoller
from procdeck.gui.jobs.table import JobTable
from procdeck.models import JobInfo, JobStatus

pytestmark = pytest.mark.integration


@pytest.fixture
def client(server_factory) -> Iterator[Client]:
    with Client(server_factory().url) as client:
        yield client


def finished(client: Client, process_id: str = "primes_between") -> str:
    job = client.execute_process(process_id, {})
    return client.wait_for_job(job.jobID, timeout=30).jobID


def tick_until(poller: JobPoller, done: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "condition not reached in time"
        poller.tick()
        time.sleep(0.05)


class PatchSpy:
    """Records what the table patches into the Tabulator."""

    def __init__(self, table: JobTable) -> None:
        self.patched_rows: list[set[str]] = []
        original = table.table.patch

        def patch(patches, as_index=True):
            self.patched_rows.append({job_id for cells in patches.values() for job_id, _ in cells})
            return original(patches, as_index=as_index)

        table.table.patch = patch  # type: ignore[method-assign]


def test_running_job_patches_only_its_own_row(client: Client) -> None:
    others = [finished(client) for _ in range(3)]
    poller = JobPoller(client)
    poller.tick()
    table = JobTable(poller)
    table.open_job(others[1])
    before = {job_id: table.row(job_id) for job_id in others}
    spy = PatchSpy(table)

    job = client.execute_process("sleep_a_while", {"duration": 1.0})
    poller.tick()
    assert job.jobID in table.job_ids
    tick_until(poller, lambda: poller.jobs[job.jobID].is_final)
    assert spy.patched_rows, "progress and status were patched in place"
    assert all(rows == {job.jobID} for rows in spy.patched_rows)
    assert {job_id: table.row(job_id) for job_id in others} == before
    assert "successful" in table.row(job.jobID)["status"]
    assert table.table.value.loc[job.jobID, "progress"] == 100
    assert table.selected_job == others[1]
    assert table.table.selection == [table.job_ids.index(others[1])], "selection kept"


def test_new_and_gone_jobs_keep_the_selection(client: Client) -> None:
    first, second = finished(client), finished(client)
    poller = JobPoller(client)
    poller.tick()
    table = JobTable(poller)
    table.open_job(second)

    third = finished(client)
    poller.tick()
    assert table.job_ids == [first, second, third]
    client.dismiss_job(first)  # finished: the server removes it
    poller.tick()
    assert table.job_ids == [second, third]
    assert table.selected_job == second
    assert table.table.selection == [0]
    assert table.table.value.index[table.table.selection[0]] == second


def test_filters_and_search(client: Client) -> None:
    ok = finished(client)
    failed = client.execute_process("sleep_a_while", {"duration": 0.1, "fail": True})
    client.wait_for_job(failed.jobID, timeout=30)
    poller = JobPoller(client)
    poller.tick()
    table = JobTable(poller)
    assert table.param.process_filter.objects == ["All", "primes_between", "sleep_a_while"]
    table.status_filter = "failed"
    assert list(table.table.current_view.index) == [failed.jobID]
    table.status_filter = "All"
    table.process_filter = "primes_between"
    assert list(table.table.current_view.index) == [ok]
    table.process_filter = "All"
    table.search = "ON PURPOSE"
    assert list(table.table.current_view.index) == [failed.jobID]
    table.search = ""
    assert len(table.table.current_view) == 2
    # The search box filters as the person types, before any Enter.
    table._search_input.value_input = "on purp"
    assert table.search == "on purp"
    assert list(table.table.current_view.index) == [failed.jobID]
    table.search = ""  # set from Python: the box follows
    assert table._search_input.value == "" and len(table.table.current_view) == 2


def test_dismiss_running_at_once_finished_after_confirmation(client: Client) -> None:
    done = finished(client)
    running = client.execute_process("sleep_a_while", {"duration": 30})
    poller = JobPoller(client)
    poller.tick()
    table = JobTable(poller)

    table.run_action("dismiss", running.jobID)  # no event loop here: runs to the end
    assert poller.jobs[running.jobID].status == JobStatus.DISMISSED
    assert "dismissed" in table.row(running.jobID)["status"]
    assert table.notice == f"Dismissed {running.jobID}"

    table.run_action("dismiss", done)
    assert table.pending_removal == done, "a finished job is removed only after confirmation"
    table._cancel_removal()
    assert table.pending_removal is None and done in poller.jobs
    table.run_action("dismiss", done)
    table._confirm_removal()
    poller.tick()
    assert done not in table.job_ids


def test_results_error_and_run_again_actions(client: Client) -> None:
    selected: list[str] = []
    again: list[tuple[JobInfo, dict]] = []
    poller = JobPoller(client)
    table = JobTable(poller, on_select=selected.append,
                     on_run_again=lambda info, request: again.append((info, request)))
    job = client.execute_process("primes_between", {"max_val": 20})
    poller.track(job.jobID, "primes_between", {"max_val": 20}, info=job)
    tick_until(poller, lambda: poller.jobs[job.jobID].is_final)
    assert table.row(job.jobID)["again"], "the request is known: Run again is offered"

    table.run_action("results", job.jobID)
    assert selected == [job.jobID] and table.selected_job == job.jobID
    table.run_action("again", job.jobID)
    assert again[0][0].jobID == job.jobID and again[0][1] == {"inputs": {"max_val": 20}}
    assert table.details is None, "the app shows details itself when it passes on_select"


def test_process_titles_replace_ids_once_loaded(client: Client) -> None:
    job_id = finished(client)
    poller = JobPoller(client)
    poller.tick()
    table = JobTable(poller)
    assert table.row(job_id)["process"] == '<span title="primes_between">primes_between</span>'
    asyncio.run(poller.load_process_titles())
    label = "Prime Processor (primes_between)"
    assert table.row(job_id)["process"] == f'<span title="{label}">{label}</span>'
    assert table.table.value.loc[job_id, "process"] == f'<span title="{label}">{label}</span>'

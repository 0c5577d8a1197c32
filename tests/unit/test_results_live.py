"""Result viewers and the error view on real results of the demo processes."""

from __future__ import annotations

from collections.abc import Iterator

import panel as pn
import pytest

from procdeck import AsyncClient, Client
from procdeck.gui.jobs.details import ErrorView, JobDetailsView
from procdeck.gui.jobs.poller import JobPoller
from procdeck.gui.results import ResultView, results_mimebundle

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(live_server: str) -> Iterator[Client]:
    with Client(live_server) as client:
        yield client


def run(client: Client, process_id: str, request: dict) -> str:
    job = client.execute_process(process_id, request)
    return client.wait_for_job(job.jobID, timeout=60).jobID


def html_of(view: object) -> str:
    """Every HTML pane's markup inside a Panel object, joined."""
    return "\n".join(p.object for p in pn.panel(view).select(pn.pane.HTML))


def test_primes_show_as_a_table(client: Client) -> None:
    job_id = run(client, "primes_between", {"min_val": 10, "max_val": 30})
    view = ResultView(client, job_id)  # no event loop here: fetched at once
    assert view.state == "ready"
    assert [(i.key, i.kind) for i in view.items] == [("return_value", "table")]
    [table] = pn.panel(view).select(pn.widgets.Tabulator)
    assert table.value["value"].tolist() == [11, 13, 17, 19, 23, 29]
    assert f'client.get_job_results(&quot;{job_id}&quot;)[&quot;return_value&quot;]' in html_of(
        view)
    downloads = pn.panel(view).select(pn.widgets.FileDownload)
    assert [d.filename for d in downloads] == [f"{job_id}-results.json",
                                               f"{job_id}-return_value.json"]
    assert downloads[1].callback().read() == b"[\n  11,\n  13,\n  17,\n  19,\n  23,\n  29\n]"


def test_simulate_scene_shows_the_dataset_summary(client: Client) -> None:
    job_id = run(client, "simulate_scene", {"var_names": "ndvi, lai", "bbox": [0, 0, 4, 2]})
    view = ResultView(client, job_id)
    assert [i.kind for i in view.items] == ["dataset"]
    markup = html_of(view)
    assert "xarray.Dataset" in markup and "Dimensions" in markup
    assert "ndvi" in markup and "lai" in markup
    notebook = results_mimebundle(client.get_job_results(job_id), job_id)["text/html"]
    assert "xarray.Dataset" in notebook and "ndvi" in notebook


async def test_result_view_with_async_client(live_server: str) -> None:
    async with AsyncClient(live_server) as client:
        job = await client.execute_process("return_base_model",
                                           {"scene_spec": {"threshold": 0.5, "factor": 2}})
        await client.wait_for_job(job.jobID, timeout=30)
        view = ResultView(client, job.jobID, load=False)
        await view.load()
        assert [(i.key, i.kind) for i in view.items] == [("return_value", "json")]
        assert "threshold" in html_of(view)


def test_missing_job_shows_an_error_not_a_traceback(client: Client) -> None:
    view = ResultView(client, "job_does_not_exist")
    assert view.state == "error" and view.error
    assert "Traceback" not in html_of(view)


def test_failed_job_shows_message_problem_and_server_traceback(client: Client) -> None:
    job_id = run(client, "sleep_a_while", {"duration": 0.2, "fail": True})
    view = ErrorView(client, client.get_job(job_id))
    assert view.title == "Job failed"
    assert "Failed on purpose" in view.detail
    assert view.traceback and "RuntimeError" in view.traceback
    markup = html_of(view)
    assert "Server traceback" in markup and "Failed on purpose" in markup


def test_details_follow_the_selected_job(client: Client) -> None:
    poller = JobPoller(client)
    job = client.execute_process("sleep_a_while", {"duration": 0.5})
    poller.track(job.jobID, "sleep_a_while", {"duration": 0.5}, info=job)
    details = JobDetailsView(client, poller, job_id=job.jobID)
    assert "appear here when the job has finished" in html_of(details)
    assert "&quot;duration&quot;: 0.5" in html_of(details), "the request is shown"
    client.wait_for_job(job.jobID, timeout=30)
    poller.tick()
    assert isinstance(details.outcome, ResultView) and details.outcome.state == "ready"
    details.job_id = None
    assert details.outcome is None

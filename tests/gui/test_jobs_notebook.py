"""The job table and the results display in a real Jupyter kernel (nbclient).

The table's poller runs on the kernel's event loop: while a cell awaits, the
table follows the server by itself. ``results_mimebundle`` gives the notebook
the same viewers as the app, as HTML.
"""

from __future__ import annotations

from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from procdeck import Client

pytestmark = pytest.mark.integration


def run_cells(sources: list[str]) -> Any:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    return notebook


def outputs_text(cell: Any) -> str:
    return "\n".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_table_follows_the_server_while_the_kernel_waits(live_server: str) -> None:
    notebook = run_cells([
        f"from procdeck import Client\nclient = Client({live_server!r})\n"
        "table = client.show_jobs()\ntable",
        "import asyncio\n"
        "job = client.execute_process('primes_between', {'max_val': 20})\n"
        "for _ in range(100):\n"
        "    await asyncio.sleep(0.1)  # the kernel's loop runs the poller meanwhile\n"
        "    if job.jobID in table.job_ids and table.poller.jobs[job.jobID].is_final:\n"
        "        break\n"
        "print('listed', job.jobID in table.job_ids)\n"
        "print('status', table.poller.jobs[job.jobID].status)\n"
        "print('running', table.poller.running, 'error', table.poller.error)",
        "from IPython.display import display\n"
        "from procdeck.gui.results import results_mimebundle\n"
        "display(results_mimebundle(client.get_job_results(job.jobID), job.jobID), raw=True)\n"
        "table.poller.stop()",
    ])
    shown, waited, results = notebook.cells
    assert any(o.output_type in ("display_data", "execute_result") for o in shown.outputs)
    text = outputs_text(waited)
    assert "listed True" in text and "status successful" in text
    assert "running True error None" in text
    [bundle] = [o for o in results.outputs if o.output_type == "display_data"]
    html = bundle.data["text/html"]
    assert "Results of job_" in html and "<td>19</td>" in html
    with Client(live_server) as client:
        job_id = html.split("Results of ")[1].split("<")[0]
        assert bundle.data["application/json"] == client.get_job_results(job_id).to_dict()

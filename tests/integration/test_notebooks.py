"""Every notebook in ``notebooks/`` runs top to bottom against a real server, and is stored clean.

Each notebook gets its own server (the walkthrough dismisses every job on it,
which must not disturb other tests); the kernel finds it through
``PROCDECK_SERVER_URL``, as a reader's kernel would. Besides failing on any
error, the tests check that the cells produced what the text says they do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.integration

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ALL_NOTEBOOKS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 120


def run_notebook(path: Path, server_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Execute ``path`` in a fresh python3 kernel (cwd: the notebook's folder); return it."""
    monkeypatch.setenv("PROCDECK_SERVER_URL", server_url)
    monkeypatch.delenv("PROCDECK_ACCESS_TOKEN", raising=False)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return notebook


def cell_starting(notebook: Any, prefix: str) -> Any:
    """The one code cell whose source starts with ``prefix``."""
    found = [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith(prefix)]
    assert len(found) == 1, f"expected one cell starting with {prefix!r}, found {len(found)}"
    return found[0]


def text_of(cell: Any) -> str:
    """Everything a cell printed or displayed as text."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(str(output.data.get("text/plain", "")))
            if "application/json" in output.data:
                parts.append(json.dumps(output.data["application/json"]))
    return "\n".join(parts)


def test_there_are_the_three_notebooks() -> None:
    names = {path.name for path in ALL_NOTEBOOKS}
    assert {"python-api.ipynb", "gui.ipynb", "custom-processes.ipynb"} <= names


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: stored outputs in {cell.source[:40]!r}"
            assert cell.execution_count is None, f"{path.name}: execution count stored"


def test_python_api_notebook_walks_through_every_client_method(
    server_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = server_factory()
    notebook = run_notebook(NOTEBOOKS / "python-api.ipynb", server.url, monkeypatch)
    sources = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    seed_order = [
        "client.get_capabilities()", "client.get_conformance()", "client.get_processes()",
        'client.get_process(process_id="sleep_a_while")', "client.get_jobs()",
        "client.execute_process(", "client.get_job(", "client.get_job_result(",
        "client.dismiss_job(",
    ]
    positions = [sources.index(call) for call in seed_order]
    assert positions == sorted(positions), "the client methods appear in the seed's order"

    assert server.url in text_of(cell_starting(notebook, "client = Client()"))
    assert '"conformsTo"' in text_of(cell_starting(notebook, "client.get_conformance()"))
    assert "[2, 3, 5, 7, 11, 13, 17, 19, 23, 29]" in text_of(cell_starting(notebook, "primes ="))
    failing = text_of(cell_starting(notebook, "from procdeck import ClientError"))
    assert "failed - RuntimeError: Failed on purpose" in failing
    assert "HTTP 500" in failing
    assert '"dismissed"' in text_of(cell_starting(notebook, "long_job ="))
    assert "[11, 13, 17, 19, 23, 29]" in text_of(cell_starting(notebook, 'results.value('))
    assert "successful 100" in text_of(cell_starting(notebook, "job = client.execute_process"))
    errors = text_of(cell_starting(notebook, "from procdeck.client import BadRequestError"))
    assert "no_such_process" in errors
    assert "max_val: 1000 is greater than the maximum of 100" in errors
    assert "[61, 67, 71, 73, 79, 83, 89, 97]" in text_of(cell_starting(notebook, "import asyncio"))


def test_gui_notebook_shows_the_app_a_form_and_results(
    server_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = server_factory()
    notebook = run_notebook(NOTEBOOKS / "gui.ipynb", server.url, monkeypatch)
    views = {
        "client.show()": "App(",
        "client.show_jobs()": "JobTable(",
        "form = client.show_form(": "NotebookForm(",
        "from procdeck.gui.results": "ResultView(",
        "scene = client.execute_process(": "ResultView(",
    }
    for prefix, shown in views.items():
        outputs = [o for o in cell_starting(notebook, prefix).outputs if "data" in o]
        assert any("application/vnd.holoviews_exec.v0+json" in o.data for o in outputs), (
            f"{prefix} displayed no Panel view"
        )
        assert shown in text_of(cell_starting(notebook, prefix))
    for prefix in ("from procdeck.gui.results", "scene = client.execute_process("):
        assert "state='ready'" in text_of(cell_starting(notebook, prefix))
    invalid = text_of(cell_starting(notebook, 'form.value = {"min_val": -5'))
    assert invalid.startswith("False {'min_val': [")
    valid = text_of(cell_starting(notebook, 'form.value = {"min_val": 10'))
    assert valid.strip() == "{'min_val': 10, 'max_val': 30} True"
    assert "[11, 13, 17, 19, 23, 29]" in text_of(cell_starting(notebook, "results ="))
    static = cell_starting(notebook, "client.get_job_results(scene.jobID)").outputs
    html = "".join(o.data.get("text/html", "") for o in static if "data" in o)
    assert "&lt;xarray.Dataset&gt;" in html and "ndvi" in html and "lst" in html
    assert "xarray.open_dataset(client.get_job_results(" in html


def test_custom_processes_notebook_registers_serves_and_runs_a_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The notebook starts its own servers on free ports; the URL below must not be used.
    notebook = run_notebook(NOTEBOOKS / "custom-processes.ipynb", "http://127.0.0.1:9", monkeypatch)
    registered = text_of(cell_starting(notebook, "import my_processes"))
    assert "['vegetation_index', 'bbox_area', 'moving_average']" in registered
    run = text_of(cell_starting(notebook, "results = client.run_process("))
    assert "[0.6666666666666667, 0.19999999999999996, 0.846153846153846]" in run
    invalid = text_of(cell_starting(notebook, "from procdeck.client import BadRequestError"))
    assert "'SAVI' is not one of ['NDVI', 'EVI2']" in invalid
    failed = text_of(cell_starting(notebook, "from procdeck.client import JobFailedError"))
    assert "failed - ValueError: red has 2 pixels but nir has 1" in failed
    progress = text_of(cell_starting(notebook, "job = client.execute_process"))
    assert "successful 100 Done" in progress
    assert "[4.0, 5.666666666666667, 7.0, 8.0]" in progress
    app = [o.data for o in cell_starting(notebook, "client.show()").outputs if "data" in o]
    assert any("application/vnd.holoviews_exec.v0+json" in d for d in app)
    module = text_of(cell_starting(notebook, "import os"))
    assert "serve --host 127.0.0.1" in module and "--processes my_processes" in module
    assert "['bbox_area', 'moving_average']" in module
    assert "77,865 km²" in module
    assert text_of(cell_starting(notebook, "module_server.stop()")).strip() == "False"

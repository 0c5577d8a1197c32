"""``JobResults`` shows in a notebook the way the app shows results."""

from __future__ import annotations

import html
import sys

from procdeck.models import JobResults


def test_results_display_names_the_python_line_of_their_job() -> None:
    results = JobResults({"return_value": [2, 3, 5, 7]}).for_job("job_3")
    bundle = results._repr_mimebundle_()
    assert bundle["application/json"] == {"return_value": [2, 3, 5, 7]}
    page = html.unescape(bundle["text/html"])
    assert 'client.get_job_results("job_3")["return_value"]' in page


def test_results_display_escapes_server_text() -> None:
    results = JobResults({"msg": "<script>alert(1)</script>"}).for_job("job_1")
    page = results._repr_mimebundle_()["text/html"]
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_results_display_does_not_import_panel() -> None:
    JobResults({"x": 1})._repr_mimebundle_()
    # Panel may have been imported by other tests in this process; check in a clean one.
    import subprocess

    code = (
        "import sys; from procdeck.models import JobResults;"
        "JobResults({'x': 1}).for_job('j')._repr_mimebundle_();"
        "print('panel' in sys.modules or 'bokeh' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

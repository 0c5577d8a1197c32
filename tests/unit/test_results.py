"""Result kinds, their viewers, and the notebook display (no server needed)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys

import pytest

from procdeck.gui.results.html import render_geojson_svg, render_item_body
from procdeck.gui.results.kinds import classify, classify_results, image_source, safe_href
from procdeck.gui.results.notebook import results_mimebundle
from procdeck.models import JobResults

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()

CASES = {
    "number": (42.5, "scalar"),
    "flag": (True, "scalar"),
    "nothing": (None, "scalar"),
    "text": ("hello", "text"),
    "primes": ([2, 3, 5, 7], "table"),
    "records": ([{"a": 1, "b": "x"}, {"a": 2, "c": None}], "table"),
    "matrix": ([[1, 2], [3, 4]], "table"),
    "nested": ({"threshold": 1.0, "factor": {"x": [1, {"y": 2}]}}, "json"),
    "mixed_list": ([1, {"a": [1]}], "json"),
    "qualified": ({"value": {"k": 1}, "mediaType": "application/json"}, "json"),
    "inline_png": ({"value": PNG, "mediaType": "image/png"}, "image"),
    "data_uri": (f"data:image/png;base64,{PNG}", "image"),
    "png_link": ({"href": "https://example.org/a.png", "type": "image/png"}, "image"),
    "zarr": ({"href": "file:///tmp/x/scene.zarr", "type": "application/zarr"}, "dataset"),
    "netcdf": ({"href": "https://example.org/data.nc"}, "dataset"),
    "csv_link": ({"href": "https://example.org/a.csv", "type": "text/csv"}, "link"),
    "point": ({"type": "Point", "coordinates": [7.1, 50.7]}, "geojson"),
    "features": ({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {
            "type": "Polygon", "coordinates": [[[0, 0], [4, 0], [4, 3], [0, 0]]]}}]}, "geojson"),
    "geojson_text": ({"value": '{"type": "Point", "coordinates": [1, 2]}',
                      "mediaType": "application/geo+json"}, "geojson"),
}


@pytest.mark.parametrize("key", sorted(CASES))
def test_each_result_gets_its_kind(key: str) -> None:
    raw, kind = CASES[key]
    assert classify(key, raw, "job_3").kind == kind


def test_python_lines_fetch_the_result() -> None:
    items = {i.key: i for i in classify_results(
        {k: raw for k, (raw, _) in CASES.items()}, "job_3")}
    assert items["primes"].python == 'client.get_job_results("job_3")["primes"]'
    assert items["qualified"].python == 'client.get_job_results("job_3").value("qualified")'
    assert items["csv_link"].python == 'client.get_job_results("job_3")["csv_link"]["href"]'
    assert items["zarr"].python == (
        'xarray.open_dataset(client.get_job_results("job_3")["zarr"]["href"], engine="zarr")')
    # the lines are valid Python that index real results the way shown
    results = JobResults({"primes": [2, 3], "qualified": {"value": 7, "mediaType": "x"}})
    assert eval(items["primes"].python, {"client": _Fetch(results)}) == [2, 3]
    assert eval(items["qualified"].python, {"client": _Fetch(results)}) == 7
    odd = classify('say "hi"', 1, 'job "x"')
    assert eval(odd.python, {"client": _Fetch(JobResults({'say "hi"': 1}))}) == 1


class _Fetch:
    def __init__(self, results: JobResults) -> None:
        self.results = results

    def get_job_results(self, job_id: str) -> JobResults:
        return self.results


def test_server_text_never_reaches_the_page_as_markup() -> None:
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    results = {
        hostile: hostile,
        "tree": {hostile: [hostile]},
        "table": [{hostile: hostile}],
        "link": {"href": "javascript:alert(3)", "title": hostile},
        "img": {"value": "AAAA\" onerror=\"alert(4)", "mediaType": "image/png"},
    }
    html = results_mimebundle(results, hostile)["text/html"]
    assert "<script>" not in html and "<img src=x" not in html
    assert 'href="javascript' not in html
    assert "onerror=\"alert(4)" not in html
    assert "&lt;script&gt;" in html


def test_only_safe_links_and_checked_images() -> None:
    assert safe_href("https://example.org/x") == "https://example.org/x"
    for bad in ("javascript:alert(1)", "data:text/html,<b>", "file:///etc/passwd", 3):
        assert safe_href(bad) is None
    good = classify("i", {"value": PNG, "mediaType": "image/png"}, "j")
    assert image_source(good) == f"data:image/png;base64,{PNG}"
    link = classify("i", {"href": "javascript:alert(1)", "type": "image/png"}, "j")
    assert image_source(link) is None
    assert "<img" not in render_item_body(link)


def test_viewers_render_each_kind() -> None:
    body = {k: render_item_body(classify(k, raw, "job_1")) for k, (raw, _) in CASES.items()}
    assert body["number"] == '<div class="pdr-scalar">42.5</div>'
    assert body["primes"].count("<tr>") == 5 and "4 rows × 1 columns" in body["primes"]
    assert "<th>a</th><th>b</th><th>c</th>" in body["records"]
    assert body["nested"].startswith("<details open>") and "factor" in body["nested"]
    assert f'src="data:image/png;base64,{PNG}"' in body["inline_png"]
    assert 'href="https://example.org/a.csv"' in body["csv_link"] and "download" in body["csv_link"]
    assert "a file on the server's machine" in body["zarr"]
    assert "<circle" in body["point"] and "<polygon" in body["features"]


def test_long_values_are_cut_with_a_note() -> None:
    big = list(range(1000))
    assert "… 800 more rows" in render_item_body(classify("big", big, "j"))
    tree = render_item_body(classify("tree", {str(i): [i] for i in range(300)}, "j"))
    assert "… 100 more" in tree


def test_geojson_sketch_skips_malformed_geometry() -> None:
    assert render_geojson_svg({"type": "Point", "coordinates": ["a"]}) is None
    svg = render_geojson_svg({"type": "LineString", "coordinates": [[0, 0], [10, 5]]})
    assert svg is not None and "<polyline" in svg


def test_notebook_bundle_has_viewers_json_and_downloads() -> None:
    results = JobResults({"return_value": [2, 3, 5], "n": 1})
    bundle = results_mimebundle(results, "job_7")
    assert bundle["application/json"] == {"return_value": [2, 3, 5], "n": 1}
    assert json.loads(bundle["text/plain"]) == {"n": 1, "return_value": [2, 3, 5]}
    html = bundle["text/html"]
    assert "Results of job_7" in html
    assert html.count('class="pdr-card"') == 2
    assert "client.get_job_results(&quot;job_7&quot;)[&quot;return_value&quot;]" in html
    downloads = re.findall(r'download="([^"]+)" href="data:application/json;base64,([^"]+)"', html)
    assert dict(downloads)["job_7-return_value.json"]
    assert json.loads(base64.b64decode(dict(downloads)["job_7-results.json"])) == {
        "return_value": [2, 3, 5], "n": 1}


def test_notebook_display_does_not_import_panel() -> None:
    code = ("import sys; from procdeck.gui.results import results_mimebundle; "
            "results_mimebundle({'a': 1}, 'j'); "
            "import procdeck.gui.jobs.poller; "
            "print('panel' in sys.modules, 'bokeh' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_results_without_a_known_job_read_a_variable() -> None:
    html = results_mimebundle({"a": [1, 2]})["text/html"]
    assert "Job results" in html
    assert "results[&quot;a&quot;]" in html

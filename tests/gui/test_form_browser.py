"""The rendered form in real headless Chromium: labels find inputs, edits reach Python.

Serves one ``InputFormView`` with ``panel.serve`` on a free loopback port.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import panel as pn
import pytest

from procdeck.forms import InputForm
from procdeck.gui import InputFormView

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parents[1] / "data"


def _description() -> dict[str, Any]:
    description = json.loads((DATA / "simulate_scene.json").read_text())
    description["inputs"].update({
        "mode": {"title": "Mode", "schema": {"enum": ["fast", "slow"], "default": "fast"}},
        "fail": {"title": "Fail", "schema": {"type": "boolean", "default": False}},
        "spec": {"title": "Spec", "schema": {"type": "object", "required": ["t"], "properties": {
            "t": {"type": "number", "title": "Threshold", "minimum": 0}}}},
        "note": {"title": "Note", "description": "<script>alert(1)</script> *plain*",
                 "minOccurs": 0, "schema": {"type": "string"}},
    })
    return description


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, list[InputForm]]]:
    """URL of a page with the form; every session's form is appended to the list."""
    forms: list[InputForm] = []

    def page() -> pn.viewable.Viewable:
        form = InputForm(_description())
        forms.append(form)
        return InputFormView(form).__panel__()

    port = _free_port()
    server = pn.serve({"form": page}, port=port, address="127.0.0.1", show=False,
                      threaded=True, start=True, title="form")
    try:
        yield f"http://127.0.0.1:{port}/form", forms
    finally:
        server.stop()


def _wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_inputs_are_found_by_label_and_edits_reach_the_form(served, page):
    url, forms = served
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(url)

    page.get_by_label("Start date").fill("2024-03-02")
    variable_names = page.get_by_label("Variable names")
    variable_names.fill("x, y")
    variable_names.press("Tab")
    page.get_by_label("Fail").check()
    page.get_by_role("radio", name="slow").check()
    threshold = page.get_by_label("Threshold")
    threshold.fill("0.5")
    threshold.press("Tab")
    form = forms[-1]
    _wait_for(lambda: form.value.get("spec") == {"t": 0.5})
    assert form.value["start_date"] == "2024-03-02"
    assert form.value["var_names"] == "x, y"
    assert form.value["fail"] is True and form.value["mode"] == "slow"
    assert form.is_valid

    # an invalid bbox shows its message next to the field; fixing it clears it
    east = page.get_by_label("Bounding box East")
    east.fill("-200")
    east.press("Tab")
    message = page.get_by_text("West (-180) must not be greater than East (-200).")
    message.wait_for()
    assert not form.is_valid
    east.fill("180")
    east.press("Tab")
    message.wait_for(state="hidden")
    _wait_for(lambda: form.is_valid)

    # "No value" sends null; unchecked, the input takes text (sent while typing)
    output = page.get_by_label("Output path")
    assert output.is_disabled() and form.value["output_path"] is None
    page.get_by_label("No value").uncheck()
    # typing does not wait for the input to be enabled; the round trip that enables it may lag
    _wait_for(output.is_enabled)
    output.press_sequentially("/tmp/out")
    _wait_for(lambda: form.value.get("output_path") == "/tmp/out")
    assert output.is_enabled()

    # loading a value in Python refills the widgets in the page
    form.value = {**form.value, "start_date": "2020-01-05", "var_names": "loaded"}
    _wait_for(lambda: page.get_by_label("Start date").input_value() == "2020-01-05")
    assert page.get_by_label("Variable names").input_value() == "loaded"

    # help text is shown as text: the script tag never becomes markup
    assert page.locator("script", has_text="alert(1)").count() == 0
    # nothing leaves the page's own server (blob: modules are made in the page)
    outside = [u for u in requests if not u.startswith((url.split("/form")[0], "blob:"))]
    assert outside == []
    assert problems == []


def test_advanced_section_opens_on_click(served, page):
    url, forms = served
    page.goto(url)
    page.get_by_role("button", name="▸ Advanced").click()
    resolution = page.get_by_label("Spatial resolution")
    resolution.fill("0.25")
    resolution.press("Tab")
    form = forms[-1]
    _wait_for(lambda: form.value.get("resolution") == 0.25)

"""procdeck.gui.frontend without a browser: detection, inline stylesheets, cell re-runs, threads."""

from __future__ import annotations

import asyncio
import threading
import urllib.parse

import pytest
from bokeh.core.serialization import Serializer
from bokeh.models import ImportedStyleSheet
from panel.io.resources import CDN_DIST

from procdeck.gui import frontend


@pytest.mark.parametrize(("environ", "modules", "expected"), [
    ({}, {}, "jupyterlab"),
    ({"VOILA_KERNEL_ID": "k", "VOILA_BASE_URL": "/"}, {}, "voila"),
    ({"VSCODE_PID": "12"}, {}, "vscode"),
    ({}, {"google.colab": object()}, "colab"),
    ({"PROCDECK_NOTEBOOK": "Notebook", "VOILA_BASE_URL": "/"}, {}, "notebook"),
])
def test_detect_frontend(environ, modules, expected) -> None:
    assert frontend.detect_frontend(environ, modules) == expected


def test_an_unknown_frontend_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="PROCDECK_NOTEBOOK='lynx'"):
        frontend.detect_frontend({"PROCDECK_NOTEBOOK": "lynx"}, {})
    with pytest.raises(ValueError, match="unknown notebook frontend 'lynx'"):
        frontend.notebook_mode("lynx")


def test_cdn_stylesheets_travel_as_data_urls() -> None:
    url = f"{CDN_DIST}css/loading.css?v=1"
    inlined = frontend.inline_url(url)
    assert inlined.startswith("data:text/css;charset=utf-8,")
    assert ".pn-loading" in urllib.parse.unquote(inlined)
    # outside Panel's folder, missing files and other hosts stay as they are
    for other in (f"{CDN_DIST}../../secret.css", f"{CDN_DIST}css/nope.css",
                  "https://example.org/a.css"):
        assert frontend.inline_url(other) == other


def test_serialised_stylesheets_are_inline_only_in_notebook_mode(monkeypatch) -> None:
    frontend._serve_stylesheets_inline()
    sheet = ImportedStyleSheet(url=f"{CDN_DIST}css/loading.css")
    monkeypatch.setitem(frontend._active, "frontend", None)
    assert Serializer().encode(sheet)["attributes"]["url"].startswith("https://")
    monkeypatch.setitem(frontend._active, "frontend", "jupyterlab")
    assert Serializer().encode(sheet)["attributes"]["url"].startswith("data:text/css")


def test_rerunning_a_cell_stops_what_its_earlier_run_showed(monkeypatch) -> None:
    stopped: list[str] = []
    current = {"value": ("cell-a", "request-1")}
    monkeypatch.setattr(frontend, "_current_cell", lambda: current["value"])
    monkeypatch.setattr(frontend, "_shown_by_cell", {})
    frontend._replace_earlier_runs(lambda: stopped.append("first"))
    frontend._replace_earlier_runs(lambda: stopped.append("second"))  # same run: both live
    assert stopped == []
    current["value"] = ("cell-b", "request-2")
    frontend._replace_earlier_runs(lambda: stopped.append("other cell"))
    assert stopped == []
    current["value"] = ("cell-a", "request-3")  # cell a again
    frontend._replace_earlier_runs(lambda: stopped.append("third"))
    assert stopped == ["first", "second"]


async def test_browser_events_from_another_thread_run_on_the_main_loop(monkeypatch) -> None:
    loop = asyncio.get_running_loop()
    monkeypatch.setitem(frontend._main, "loop", loop)
    monkeypatch.setitem(frontend._main, "thread", threading.get_ident())
    ran_on: list[int] = []
    done = asyncio.Event()

    def handler(value: int) -> None:
        ran_on.append(threading.get_ident())
        done.set()

    wrapped = frontend._on_main_thread(handler)
    worker = threading.Thread(target=wrapped, args=(1,), name="subshell")
    worker.start()
    worker.join()
    await asyncio.wait_for(done.wait(), 5)
    assert ran_on == [threading.get_ident()]
    wrapped(2)  # on the main thread it runs at once
    assert len(ran_on) == 2


async def test_a_view_that_was_shown_and_is_gone_stops(monkeypatch) -> None:
    class View:
        def __init__(self) -> None:
            self._models = {"ref-1": None}

    views = {"ref-1": object()}
    monkeypatch.setattr(frontend.pn.state, "_views", views)
    monkeypatch.setattr(frontend, "_current_cell", lambda: None)
    stopped = asyncio.Event()
    task = frontend.stop_when_closed(View(), stopped.set, interval=0.02)
    await asyncio.sleep(0.1)
    assert not stopped.is_set()
    views.clear()  # Panel dropped the output
    await asyncio.wait_for(stopped.wait(), 2)
    await task


class FakeComm:
    """A comm whose browser end opens when the test says; records what was sent."""

    def __init__(self) -> None:
        self._comm = None
        self.sent: list[str] = []


async def test_patches_leave_in_the_order_they_were_made(monkeypatch) -> None:
    import panel.io.notebook as nbio

    comm = FakeComm()
    monkeypatch.setattr(nbio, "send", lambda c, msg: c.sent.append(msg))
    monkeypatch.setitem(frontend._main, "loop", asyncio.get_running_loop())
    frontend.ordered_push(None, comm, msg="first")  # the browser has not opened it yet
    frontend.ordered_push(None, comm, msg="second")
    assert comm.sent == []
    comm._comm = object()  # opened: a new patch must not overtake the waiting ones
    frontend.ordered_push(None, comm, msg="third")
    assert comm.sent == ["first", "second", "third"]
    await asyncio.sleep(0.15)  # the pending retry finds nothing left to send
    assert comm.sent == ["first", "second", "third"]


async def test_patches_wait_until_the_browser_drew_the_output(monkeypatch) -> None:
    import panel.io.notebook as nbio

    comm = FakeComm()
    comm._comm = object()
    monkeypatch.setattr(nbio, "send", lambda c, msg: c.sent.append(msg))
    monkeypatch.setitem(frontend._main, "loop", asyncio.get_running_loop())
    monkeypatch.setattr(frontend.pn.state, "_views", {"root-1": (None, None, None, comm)})
    monkeypatch.setattr(frontend, "_undrawn", {id(comm): "root-1"})
    frontend.ordered_push(None, comm, msg="early")
    await asyncio.sleep(0.25)
    assert comm.sent == []  # retried, still waiting for the browser
    frontend._drawn("root-1")
    assert comm.sent == ["early"]


def test_the_output_carries_the_drawn_script(monkeypatch) -> None:
    comm = FakeComm()
    monkeypatch.setattr(frontend.pn.state, "_views", {"root-1": (None, None, None, comm)})
    monkeypatch.setattr(frontend, "_listen_for_drawn", lambda: True)
    monkeypatch.setattr(frontend, "_undrawn", {})
    monkeypatch.setitem(frontend._main, "loop", None)
    bundle = ({"text/html": "<div></div>"}, {"application/vnd.holoviews_exec.v0+json":
                                              {"id": "root-1"}})
    data, _ = frontend._hold_patches_until_drawn(bundle)
    assert data["text/html"].startswith("<div></div><script>")
    assert '"root-1"' in data["text/html"] and frontend.READY_TARGET in data["text/html"]
    assert frontend._undrawn == {id(comm): "root-1"}


class _Shown:
    """Stands for a Panel object shown in outputs ``roots``."""

    def __init__(self, *roots: str) -> None:
        self._models = {root: None for root in roots}


def test_an_output_is_looked_at_while_its_visible_page_says_so(monkeypatch) -> None:
    monkeypatch.setattr(frontend.pn.state, "_views", {"r1": None, "r2": None})
    monkeypatch.setattr(frontend, "_heard", {})
    view = _Shown("r1")
    assert frontend.looked_at(view, now=100.0)  # never heard of: not known, not paused
    frontend._on_output_message({"content": {"data": {"alive": "r1", "hidden": False}}})
    when = frontend._heard["r1"][0]
    assert frontend.looked_at(view, now=when + frontend.QUIET_S - 0.1)
    assert not frontend.looked_at(view, now=when + frontend.QUIET_S + 0.1)  # page silent
    frontend._on_output_message({"content": {"data": {"alive": "r1", "hidden": True}}})
    assert not frontend.looked_at(view, now=frontend._heard["r1"][0])  # tab hidden
    # one of two outputs looked at is enough
    frontend._on_output_message({"content": {"data": {"alive": "r2", "hidden": False}}})
    assert frontend.looked_at(_Shown("r1", "r2"), now=frontend._heard["r2"][0])


def test_an_output_the_browser_disposed_is_cleaned_up(monkeypatch) -> None:
    cleaned: list[str] = []
    monkeypatch.setattr(frontend, "_heard", {"r1": (0.0, False)})
    monkeypatch.setattr(frontend, "_undrawn", {1: "r1", 2: "other"})
    monkeypatch.setitem(frontend._main, "loop", None)
    from panel.config import panel_extension

    monkeypatch.setattr(panel_extension, "_delete_actions", [cleaned.append])
    frontend._on_output_message({"content": {"data": {"gone": "r1"}}})
    assert cleaned == ["r1"]
    assert frontend._heard == {} and frontend._undrawn == {2: "other"}


async def test_the_watch_pauses_resumes_and_stops(monkeypatch) -> None:
    views: dict[str, object] = {"r1": None}
    monkeypatch.setattr(frontend.pn.state, "_views", views)
    monkeypatch.setattr(frontend, "_heard", {})
    monkeypatch.setattr(frontend, "_current_cell", lambda: None)
    calls: list[object] = []
    task = frontend.stop_when_closed(_Shown("r1"), lambda: calls.append("stop"),
                                     interval=0.01, pause=calls.append)
    frontend._heard["r1"] = (0.0, True)  # the page said its tab is hidden
    await asyncio.sleep(0.05)
    assert calls == [True]
    frontend._on_output_message({"content": {"data": {"alive": "r1", "hidden": False}}})
    await asyncio.sleep(0.05)
    assert calls == [True, False]
    views.clear()  # no output shows it any more
    await asyncio.wait_for(task, 1)
    assert calls == [True, False, "stop"]


def test_a_frontend_named_once_holds_for_every_later_show(monkeypatch) -> None:
    calls: list[dict] = []
    monkeypatch.setattr(frontend.pn, "extension", lambda *a, **kw: calls.append(kw))
    for name in ("_serve_stylesheets_inline", "_handle_browser_events_on_the_main_thread",
                 "_keep_patches_in_order"):
        monkeypatch.setattr(frontend, name, lambda: None)
    monkeypatch.setattr(frontend.pn.config, "inline", frontend.pn.config.inline)
    monkeypatch.setattr(frontend, "_active", {"frontend": None, "page": None, "chosen": None})
    monkeypatch.delenv("PROCDECK_NOTEBOOK", raising=False)
    monkeypatch.delenv("VSCODE_PID", raising=False)
    monkeypatch.delenv("VSCODE_CWD", raising=False)
    assert frontend.notebook_mode("vscode") == "vscode"
    # client.show() calls notebook_mode() again: detection would say JupyterLab here
    assert frontend.notebook_mode() == "vscode"
    assert [kw["comms"] for kw in calls] == ["vscode"]

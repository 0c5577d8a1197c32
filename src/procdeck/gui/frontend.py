"""Panel set up for the notebook frontend a kernel is shown in, with nothing from a CDN.

Left to its defaults, Panel in a notebook asks cdn.bokeh.org and cdn.holoviz.org for
Bokeh's and Panel's scripts and stylesheets; offline the cell output stays empty.
:func:`notebook_mode` (called by ``client.show()`` and friends) makes everything come
from the kernel instead:

- scripts: Panel's ``inline`` mode puts Bokeh, Panel and the extensions the app uses
  (Tabulator) into the cell output, and Panel's notification area (whose inlined script
  does not define itself globally) is not used in notebooks: problems show in the app;
- stylesheets: Panel keeps referring to its stylesheets (``loading.css``, the theme,
  widget styles) by CDN URL, also in the patches it sends after the first render. When
  such a sheet is sent to the browser its URL is swapped for a ``data:`` URL holding
  the same file from Panel's installed ``dist`` folder, so the browser reads it from
  the message itself;
- threads: JupyterLab 4.6 sends comm messages to a kernel *subshell*, so Panel would
  handle a click in the subshell's thread while the app's ticks update the same
  document on the main thread: patches interleave on the wire ("Expected text fragment
  but received binary fragment", "reference ... isn't known") and updates get lost.
  Browser events are handed to the kernel's main event loop instead;
- order: until the browser has opened an output's comm Panel re-tries each patch every
  0.1 s, and a patch made after the comm opened overtook the ones still waiting; one
  that refers to a model defined in an earlier, still waiting patch then fails in the
  browser. Here the patches of a comm leave in the order they were made;
- the first patches: Panel sends updates as soon as the output's comm is open, but the
  browser opens it before it has built the output's views, and drops what arrives
  until then (a part of a patch, and the rest no longer parses). The output carries a
  small script that tells the kernel when its views are there; patches wait for it;
- sorting: Panel's Tabulator hands the table its model's own sort objects, Tabulator
  writes its column object into them, and a queued browser change of the sort order
  then can no longer be serialised: Panel's comm drops every later click. The same
  script gives Tabulator copies;
- lifecycle: the same script keeps telling the kernel that the page shows the output
  (and whether its tab is hidden), and tells it when the browser disposes the output
  (Panel's JupyterLab extension means to, but its clean-up comm never opens in
  JupyterLab 4): :func:`stop_when_closed` stops what a cleared output showed and pauses
  what nobody looks at;
- comms: JupyterLab and Notebook 7 use Panel's own comms; Voilà, VS Code and Colab draw
  Panel through jupyter_bokeh's ipywidget. The frontend is detected where the kernel can
  tell (Colab and VS Code by Panel's rules, Voilà by the variables it gives its kernels);
  elsewhere ``notebook_mode("vscode")`` (or ``PROCDECK_NOTEBOOK=vscode``) says it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import urllib.parse
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import panel as pn
from bokeh.models import ImportedStyleSheet
from panel.io.resources import CDN_DIST, DIST_DIR

__all__ = [
    "COMMS", "FRONTENDS", "active_frontend", "detect_frontend", "looked_at", "notebook_mode",
    "shown_views", "stop_when_closed",
]

COMMS: Mapping[str, str] = {
    "jupyterlab": "default",
    "notebook": "default",
    "voila": "ipywidgets",
    "ipywidgets": "ipywidgets",
    "vscode": "vscode",
    "colab": "colab",
}
"""Each frontend procdeck knows, and the Panel ``comms`` it needs."""

FRONTENDS = tuple(COMMS)
ENV_VAR = "PROCDECK_NOTEBOOK"
"""Environment variable naming the frontend when it cannot be detected."""

# Panel extensions the notebook app needs (the served app loads the same, see serve.py).
_EXTENSIONS = ("tabulator",)

_active: dict[str, str | None] = {"frontend": None, "page": None, "chosen": None}


def detect_frontend(
    environ: Mapping[str, str] | None = None, modules: Mapping[str, Any] | None = None
) -> str:
    """The notebook frontend this kernel is shown in, as far as the kernel can tell.

    ``PROCDECK_NOTEBOOK`` wins; then Colab (its module is loaded in its kernels), VS Code
    (``VSCODE_PID``/``VSCODE_CWD``, Panel's own rule), Voilà (its kernels get
    ``VOILA_*`` variables); anything else is taken for JupyterLab or Notebook 7,
    which need the same set-up.
    """
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    named = environ.get(ENV_VAR, "").strip().lower()
    if named:
        if named not in COMMS:
            raise ValueError(f"{ENV_VAR}={named!r}: expected one of {', '.join(FRONTENDS)}")
        return named
    if "google.colab" in modules:
        return "colab"
    if "VSCODE_PID" in environ or "VSCODE_CWD" in environ:
        return "vscode"
    if any(key.startswith("VOILA_") for key in environ):
        return "voila"
    return "jupyterlab"


def active_frontend() -> str | None:
    """The frontend :func:`notebook_mode` set Panel up for, or None before it ran."""
    return _active["frontend"]


def notebook_mode(frontend: str | None = None) -> str:
    """Set Panel up for ``frontend`` (default: detected), offline; returns its name.

    Idempotent: calling it again for the same frontend and page does nothing, so every
    ``client.show()`` may call it; for a page opened anew on the same kernel (a reload)
    the scripts are sent again. Call it yourself, before the first ``show``, only
    where detection fails: ``procdeck.gui.notebook_mode("vscode")``.
    """
    if frontend is not None:
        name = frontend.strip().lower()
        if name not in COMMS:
            raise ValueError(f"unknown notebook frontend {name!r}: expected one of "
                             f"{', '.join(FRONTENDS)}")
        _active["chosen"] = name  # what the user said holds for every later ``show``
    else:
        name = _active["chosen"] or detect_frontend()
    page = _current_page()
    if _active["frontend"] == name and page == _active["page"]:
        return name
    _serve_stylesheets_inline()
    _handle_browser_events_on_the_main_thread()
    _keep_patches_in_order()
    pn.config.inline = True
    pn.extension(*_EXTENSIONS, comms=COMMS[name], inline=True, notifications=False)
    _active["frontend"] = name
    _active["page"] = page
    return name


def _current_page() -> str | None:
    """The frontend session (one per open page) of the running cell's execute request.

    A page opened anew (a reload, the notebook opened again) on a running kernel has
    none of the scripts an earlier page was sent: they are sent again for it.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    header = (getattr(get_ipython(), "parent_header", None) or {}).get("header") or {}
    session = header.get("session")
    return str(session) if session else None


# -- stylesheets travel with the document -----------------------------------------------------

@lru_cache(maxsize=256)
def inline_url(url: str) -> str:
    """``url`` as a ``data:`` URL when it names a file of Panel's CDN folder, else ``url``.

    The file is read from Panel's installed ``dist`` folder, which is what the CDN
    serves for this Panel version.
    """
    if not url.startswith(CDN_DIST):
        return url
    relative = url[len(CDN_DIST):].split("?", 1)[0].split("#", 1)[0]
    path = (DIST_DIR / relative).resolve()
    if DIST_DIR.resolve() not in path.parents or not path.is_file():
        return url
    css = path.read_text(encoding="utf-8")
    return "data:text/css;charset=utf-8," + urllib.parse.quote(css, safe="")


_original_to_serializable = ImportedStyleSheet.to_serializable


def _to_serializable(self: ImportedStyleSheet, serializer: Any) -> Any:
    rep = _original_to_serializable(self, serializer)
    attributes = rep.get("attributes") if isinstance(rep, dict) else None
    if _active["frontend"] is not None and attributes and isinstance(attributes.get("url"), str):
        attributes["url"] = inline_url(attributes["url"])
    return rep


def _serve_stylesheets_inline() -> None:
    # Serialisation is the one place every stylesheet passes on its way to the browser,
    # whichever Panel code path made it (first render, later patches, ipywidget sync).
    if ImportedStyleSheet.to_serializable is not _to_serializable:
        ImportedStyleSheet.to_serializable = _to_serializable  # type: ignore[method-assign]


# -- views that outlive their output ---------------------------------------------------------

def shown_views(view: Any) -> int:
    """How many outputs show ``view`` (a Panel object) right now.

    Panel keeps every displayed root in ``pn.state._views`` and drops it when the
    frontend says the output is gone (cleared, re-run, notebook closed).
    """
    models = getattr(view, "_models", {})
    return sum(1 for ref in list(models) if ref in pn.state._views)


def stop_when_closed(view: Any, stop: Callable[[], None], *, interval: float = 0.5,
                     pause: Callable[[bool], None] | None = None) -> Any:
    """Call ``stop`` once ``view`` has been shown and no output shows it any more.

    Re-running a cell stops what the cell's earlier runs showed at once (JupyterLab
    and Notebook 7 name the cell in each execute request). An output the browser
    disposes (cleared, re-run, its notebook closed while the page lives) stops within
    ``interval`` seconds of the page saying so. With ``pause``, ``pause(True)`` is
    called while no page looks at ``view`` (its tab hidden, the notebook tab closed
    with the kernel left running, the browser gone: the page stops saying that it
    shows it) and ``pause(False)`` when one does again. Returns the watching task
    (None when no event loop runs, e.g. outside a kernel).
    """
    _replace_earlier_runs(stop)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None

    async def watch() -> None:
        shown = paused = False
        while True:
            await asyncio.sleep(interval)
            if shown_views(view):
                shown = True
            elif shown:
                stop()
                return
            if shown and pause is not None and looked_at(view) == paused:
                paused = not paused
                pause(paused)

    return loop.create_task(watch(), name="procdeck-view-watch")


# cell id -> (the execute request that showed them, how to stop what it showed)
_shown_by_cell: dict[str, tuple[str, list[Callable[[], None]]]] = {}


def _current_cell() -> tuple[str, str] | None:
    """``(cell id, execute request id)`` of the cell running now, when the frontend says."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    header = getattr(shell, "parent_header", None) or {}
    cell = (header.get("metadata") or {}).get("cellId")
    request = (header.get("header") or {}).get("msg_id")
    return (str(cell), str(request)) if cell and request else None


def _replace_earlier_runs(stop: Callable[[], None]) -> None:
    current = _current_cell()
    if current is None:
        return
    cell, request = current
    earlier_request, stops = _shown_by_cell.get(cell, ("", []))
    if earlier_request != request:
        for earlier in stops:
            earlier()
        stops = []
    _shown_by_cell[cell] = (request, [*stops, stop])


# -- the ipywidget way (Voilà, VS Code, Colab) -------------------------------------------------

def as_widget(view: Any) -> Any:
    """``view`` as a jupyter_bokeh widget whose ``pn.state.onload`` waits for the browser.

    ``pn.ipywidget`` shows the first render but loses what the app does before the
    page has connected (Voilà runs the whole notebook first) and never sends the
    patches Panel holds back once the document counts as connected: the app then
    stays at "Connecting…". Here the document is one Panel knows: onload callbacks
    run on the browser's ``document_ready``, and changes are sent from this thread.
    """
    from jupyter_bokeh.widgets import BokehModel
    from panel.io.state import set_curdoc

    doc = waiting_document()
    with set_curdoc(doc):
        model = pn.panel(view).get_root(doc)
    doc.add_root(model)  # else jupyter_bokeh moves the model to a document of its own
    return BokehModel(model, combine_events=True)


def uses_ipywidget() -> bool:
    """True when the active frontend draws Panel through jupyter_bokeh's ipywidget."""
    frontend = _active["frontend"]
    return frontend is not None and COMMS[frontend] != "default"


def repr_mimebundle(view: Any, include: Any = None, exclude: Any = None) -> Any:
    """What a notebook shows for ``view``: Panel's own output, or the ipywidget where needed."""
    if uses_ipywidget():
        return as_widget(view)._repr_mimebundle_(include=include, exclude=exclude)
    create = getattr(view, "_create_view", None)  # a Viewer: what its __panel__ draws
    target = create() if create is not None else pn.panel(view)
    shown = target._repr_mimebundle_(include, exclude)
    return _hold_patches_until_drawn(shown)


def waiting_document() -> Any:
    """A Bokeh document whose ``pn.state.onload`` callbacks run once the browser drew it."""
    import threading
    from functools import partial

    from bokeh.document import Document
    from panel.io.state import state

    doc = Document()
    # jupyter_bokeh's widget forwards the browser's document_ready; Panel's own notebook
    # output does not (see repr_mimebundle for what stands in for it there)
    doc.on_event("document_ready", partial(state._schedule_on_load, doc))
    state._loaded[doc] = False  # else a document without a server session counts as loaded
    state._thread_id_[doc] = threading.get_ident()  # else unhold waits for a server tick
    return doc


class FrontendDisplay:
    """Mix-in for Panel ``Viewer``\\ s shown in notebooks: displayed as the frontend needs."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return repr_mimebundle(self, include, exclude)


# -- one thread for the document ----------------------------------------------------------------

_main: dict[str, Any] = {"loop": None, "thread": None}


def _on_main_thread(handler: Callable[..., None]) -> Callable[..., None]:
    """``handler``, run on the kernel's main event loop whichever thread receives the message."""
    import functools
    import threading

    @functools.wraps(handler)
    def run(*args: Any, **kwargs: Any) -> None:
        loop, thread = _main["loop"], _main["thread"]
        if loop is None or threading.get_ident() == thread or loop.is_closed():
            handler(*args, **kwargs)
        else:
            loop.call_soon_threadsafe(functools.partial(handler, *args, **kwargs))

    run.__procdeck_main_thread__ = True  # type: ignore[attr-defined]
    return run


def _handle_browser_events_on_the_main_thread() -> None:
    import threading

    import pyviz_comms

    try:
        _main["loop"] = asyncio.get_running_loop()
        _main["thread"] = threading.get_ident()
    except RuntimeError:  # no kernel loop: nothing to hand events to
        return
    if not getattr(pyviz_comms.Comm._handle_msg, "__procdeck_main_thread__", False):
        pyviz_comms.Comm._handle_msg = _on_main_thread(pyviz_comms.Comm._handle_msg)
    try:
        from jupyter_bokeh.widgets import BokehModel
    except ImportError:
        return
    if not getattr(BokehModel._sync_model, "__procdeck_main_thread__", False):
        BokehModel._sync_model = _on_main_thread(BokehModel._sync_model)


# -- patches in order -----------------------------------------------------------------------------

# Panel modules that imported ``panel.io.notebook.push`` by name
_PUSH_USERS = ("panel.io.notebook", "panel.reactive", "panel.pane.base", "panel.pane.plot",
               "panel.io.datamodel")
_outbox: dict[int, list[Any]] = {}
_waiting: set[int] = set()


def ordered_push(doc: Any, comm: Any, binary: bool = True, msg: Any = None) -> None:
    """Panel's ``push``, but a comm's patches are sent in the order they were made."""
    from panel.io.model import diff

    if msg is None:
        msg = diff(doc, binary=binary)
    if msg is None:
        return
    _outbox.setdefault(id(comm), []).append(msg)
    _send_waiting(comm)


def _send_waiting(comm: Any) -> None:
    from panel.io.notebook import send

    key = id(comm)
    queue = _outbox.get(key)
    if not queue:
        _outbox.pop(key, None)
        return
    if not comm._comm or key in _undrawn:  # the browser is not ready for it: again shortly
        if key not in _waiting:
            _waiting.add(key)
            loop = _main["loop"] or asyncio.get_event_loop()
            loop.call_later(0.1, _retry, comm)
        return
    while queue:
        send(comm, queue.pop(0))
    _outbox.pop(key, None)


def _retry(comm: Any) -> None:
    _waiting.discard(id(comm))
    _send_waiting(comm)


def _keep_patches_in_order() -> None:
    import importlib

    for name in _PUSH_USERS:
        module = importlib.import_module(name)
        if getattr(module, "push", None) is not ordered_push:
            module.push = ordered_push  # type: ignore[attr-defined]


# -- patches wait until the browser has drawn the output ----------------------------------------

READY_TARGET = "procdeck_drawn"
"""Comm target the output's script opens once Bokeh has built the output's root view."""
DRAWN_TIMEOUT = 15.0
"""Seconds after which patches go out anyway (a frontend where the script cannot run)."""
HEARTBEAT_S = 0.5
"""How often a page showing an output says so (and whether its tab is hidden)."""
QUIET_S = 1.5
"""Silence after which an output that spoke before counts as not looked at."""
_undrawn: dict[int, str] = {}  # id(comm) -> root id of an output not drawn yet
_heard: dict[str, tuple[float, bool]] = {}  # root id -> (when its page last spoke, hidden)

_DRAWN_JS = """<script>(function () {
  const root = %(root)s, tries = {n: 0};
  let sortersFixed = false;
  function fixTabulatorSorters() {
    // Panel's Tabulator view hands Tabulator the model's own sort objects when it builds
    // the table (and reverses the model's list in place); Tabulator puts its Column object
    // into each. A browser change of `sorters` still queued in Panel's notebook comm holds
    // those objects, the comm can no longer serialise its queue ("[object Object] is not
    // serializable") and every later click is lost. Tabulator gets copies instead.
    const models = window.Bokeh && window.Bokeh.Models;
    const table = models && models.get && models.get("panel.models.tabulator.DataTabulator");
    const view = table && table.prototype.default_view;
    if (!view) { return false; }
    if (!view.prototype.__procdeckSorters) {
      Object.defineProperty(view.prototype, "sorters", {configurable: true, get() {
        const own = this.model.sorters;
        const sorters = own.length > 0 ? [{column: "_index", dir: "asc"}] : [];
        for (const sort of [...own].reverse()) {
          sorters.push({...sort, column: sort.column === undefined ? sort.field : sort.column});
        }
        return sorters;
      }});
      view.prototype.__procdeckSorters = true;
    }
    return true;
  }
  function watchDisposal(pyviz) {
    // PyViz's frontend extension deletes an output's kernel entry when it disposes the
    // output (cleared, re-run, notebook closed); the message it means to send the
    // kernel then never leaves in JupyterLab 4, so the output's own comm says it
    const kernels = pyviz.kernels;
    if (kernels.__procdeckWatched) { return; }
    const gone = pyviz.__procdeckGone = pyviz.__procdeckGone || {};
    pyviz.kernels = new Proxy(kernels, {
      get(target, key) { return key === "__procdeckWatched" ? true : target[key]; },
      deleteProperty(target, key) {
        const output = gone[key];
        delete gone[key];  // its heartbeat stops
        if (output) {
          // disposing the output clears its Bokeh document right after; a kernel
          // restart (the other reason for deleting) does not, and is not reported
          setTimeout(() => {
            if ((window.Bokeh.documents || []).indexOf(output.doc) >= 0) { return; }
            try { output.comm.send({gone: key}); } catch (error) { /* kernel gone too */ }
          }, 0);
        }
        return delete target[key];
      },
    });
  }
  function drawn() {
    sortersFixed = sortersFixed || fixTabulatorSorters();
    const bokeh = window.Bokeh, pyviz = window.PyViz || {}, kernels = pyviz.kernels || {};
    if (bokeh && bokeh.index && bokeh.index[root] !== undefined && kernels[root]) {
      const kernel = kernels[root];
      const comm = kernel.createComm ? kernel.createComm(%(target)s)
                                     : kernel.connectToComm(%(target)s);
      comm.open({root: root});
      (window.__procdeckDrawn = window.__procdeckDrawn || []).push(root);
      watchDisposal(pyviz);
      pyviz.__procdeckGone[root] = {comm: comm, doc: bokeh.index[root].model.document};
      // while the page shows the output it says so twice a second (and at once when the
      // tab is hidden or shown): the kernel pauses what nobody looks at
      const beat = () => {
        if (!(root in pyviz.__procdeckGone)) { clearInterval(timer); return; }
        try { comm.send({alive: root, hidden: document.visibilityState === "hidden"}); }
        catch (error) { clearInterval(timer); }
      };
      const timer = setInterval(beat, %(beat_ms)d);
      document.addEventListener("visibilitychange", beat);
    } else if (tries.n++ < 1200) {
      setTimeout(drawn, 25);
    }
  }
  drawn();
})();</script>"""


def _hold_patches_until_drawn(shown: Any) -> Any:
    import json

    from panel.io.state import state

    try:
        data, metadata = shown
        root = next(iter(metadata.values()))["id"]
        comm = state._views[root][3]
    except (TypeError, ValueError, KeyError, StopIteration, IndexError):
        return shown  # not Panel's notebook output (embedded, hidden): nothing to hold
    if comm is None or not _listen_for_drawn():
        return shown
    _undrawn[id(comm)] = root
    loop = _main["loop"]
    if loop is not None:
        loop.call_later(DRAWN_TIMEOUT, _drawn, root)
    script = _DRAWN_JS % {"root": json.dumps(root), "target": json.dumps(READY_TARGET),
                          "beat_ms": int(HEARTBEAT_S * 1000)}
    data = dict(data)
    data["text/html"] = data.get("text/html", "") + script
    return data, metadata


def _listen_for_drawn() -> bool:
    try:
        import comm as comm_package  # the kernel's comms (ipykernel >= 6.22 routes them here)
        from IPython import get_ipython
    except ImportError:
        return False
    if getattr(get_ipython(), "kernel", None) is None:
        return False
    manager = comm_package.get_comm_manager()
    if READY_TARGET not in getattr(manager, "targets", {}):
        def opened(comm: Any, msg: Any) -> None:
            root = ((msg.get("content") or {}).get("data") or {}).get("root")
            if root:
                _on_main_thread(_drawn)(str(root))
                comm.on_msg(_on_output_message)

        manager.register_target(READY_TARGET, opened)
    return True


def _drawn(root: str) -> None:
    """The browser built the views of output ``root``: its patches may go."""
    from panel.io.state import state

    for key, waiting_root in list(_undrawn.items()):
        if waiting_root == root:
            del _undrawn[key]
    view = state._views.get(root)
    if view is not None and view[3] is not None:
        _send_waiting(view[3])


def _on_output_message(msg: Any) -> None:
    import time

    data = (msg.get("content") or {}).get("data") or {}
    if data.get("alive"):
        _heard[str(data["alive"])] = (time.monotonic(), bool(data.get("hidden")))
    if data.get("gone"):
        _on_main_thread(_output_gone)(str(data["gone"]))


def looked_at(view: Any, now: float | None = None) -> bool:
    """Whether a page shows ``view`` to someone (an output whose page said so lately).

    Outputs whose page never spoke (no script ran: the ipywidget frontends, an
    embedded export) count as looked at, so nothing pauses where this is not known.
    """
    import time

    now = time.monotonic() if now is None else now
    roots = [ref for ref in list(getattr(view, "_models", {})) if ref in pn.state._views]
    for root in roots:
        heard = _heard.get(root)
        if heard is None:
            return True
        when, hidden = heard
        if not hidden and now - when <= QUIET_S:
            return True
    return False


def _output_gone(root: str) -> None:
    """The browser disposed output ``root``: Panel's clean-up for it, as its extension meant."""
    from panel.config import panel_extension

    _undrawn_roots = [key for key, waiting in _undrawn.items() if waiting == root]
    for key in _undrawn_roots:
        del _undrawn[key]
    _heard.pop(root, None)
    panel_extension._process_comm_msg({"event_type": "delete", "id": root})

"""The process browser: every process with title, id and version, a search box, a selection.

:class:`ProcessCatalog` is the view-model (tested without a browser);
:class:`ProcessBrowser` renders it: a search field and one list whose entries
are real ``<button>`` elements (accessible name = title, id and version) drawn
in the browser from plain data with ``textContent``, so nothing a server sends
is ever parsed as HTML. One Bokeh model for the whole list keeps page load fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import panel as pn
import param

from procdeck.gui.theme import stylesheets
from procdeck.ogc.models import ProcessSummary

__all__ = ["ProcessBrowser", "ProcessCatalog", "ProcessListView", "matches_query"]


def matches_query(process: ProcessSummary, query: str) -> bool:
    """True when every word of ``query`` occurs in the process's title, id or keywords."""
    words = query.lower().split()
    if not words:
        return True
    haystack = " ".join(
        [process.id, process.title or "", *(process.keywords or [])]
    ).lower()
    return all(word in haystack for word in words)


class ProcessCatalog(param.Parameterized):
    """The processes a server offers, the search query and the selected process id."""

    processes = param.List(default=[], item_type=ProcessSummary, doc="All processes")
    query = param.String(default="", doc="Search text (title, id, keywords)")
    selected_id = param.String(default=None, allow_None=True, doc="The selected process")
    loaded = param.Boolean(default=False, doc="True once the list has been fetched")
    load_error = param.String(default="", doc="Why the last try to fetch the list failed")

    def set_processes(self, processes: Iterable[ProcessSummary]) -> None:
        """Replace the list (e.g. after a (re)load); keeps the selection if it still exists."""
        items = list(processes)
        ids = {p.id for p in items}
        selected = self.selected_id if self.selected_id in ids else None
        self.param.update(processes=items, loaded=True, load_error="", selected_id=selected)

    @property
    def visible(self) -> list[ProcessSummary]:
        """The processes that match the query, in server order."""
        return [p for p in self.processes if matches_query(p, self.query)]

    def get(self, process_id: str) -> ProcessSummary | None:
        """The summary of ``process_id``, if listed."""
        return next((p for p in self.processes if p.id == process_id), None)


_LIST_SCRIPT = """
const items = data.items || [];
list.replaceChildren();
if (!items.length) {
  const empty = document.createElement('li');
  empty.className = 'pd-empty';
  empty.textContent = data.empty_text;
  list.appendChild(empty);
  return;
}
for (const item of items) {
  const li = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.processId = item.id;
  button.setAttribute('aria-current', item.id === data.selected ? 'true' : 'false');
  const title = document.createElement('span');
  title.className = 'pd-ptitle';
  title.textContent = item.title || item.id;
  const meta = document.createElement('span');
  meta.className = 'pd-pmeta';
  const pid = document.createElement('span');
  pid.className = 'pd-pid';
  pid.textContent = item.id;
  meta.appendChild(pid);
  if (item.version) {
    const version = document.createElement('span');
    version.className = 'pd-badge';
    version.textContent = 'v' + item.version;
    meta.appendChild(version);
  }
  button.append(title, meta);
  if (item.description) { button.title = item.description; }
  button.addEventListener('click', () => {
    data.selected = item.id;
    for (const other of list.querySelectorAll('button')) {
      other.setAttribute('aria-current', other === button ? 'true' : 'false');
    }
  });
  li.appendChild(button);
  list.appendChild(li);
}
"""

_MARK_SCRIPT = """
for (const button of list.querySelectorAll('button')) {
  const current = button.dataset.processId === data.selected;
  button.setAttribute('aria-current', current ? 'true' : 'false');
}
"""


class ProcessListView(pn.reactive.ReactiveHTML):
    """The list of processes as accessible buttons; ``selected`` is synced both ways."""

    items = param.List(default=[], doc="[{id, title, version, description}] to show")
    selected = param.String(default="", doc="Id of the highlighted process")
    empty_text = param.String(default="Loading processes…")

    _template = '<ul id="list" class="pd-plist" aria-label="Processes"></ul>'
    _scripts = {  # noqa: RUF012 - Panel's declared class attribute
        "render": _LIST_SCRIPT,
        "items": _LIST_SCRIPT,
        "empty_text": _LIST_SCRIPT,
        "selected": _MARK_SCRIPT,
    }


def _item(process: ProcessSummary) -> dict[str, Any]:
    return {
        "id": process.id,
        "title": process.title or process.id,
        "version": process.version or "",
        "description": (process.description or "")[:300],
    }


class ProcessBrowser(pn.viewable.Viewer):
    """Search box plus process list, bound to a :class:`ProcessCatalog`."""

    def __init__(self, catalog: ProcessCatalog, **params: Any) -> None:
        super().__init__(**params)
        self.catalog = catalog
        self.search = pn.widgets.TextInput(
            label="Search processes",
            placeholder="Title, id or keyword",
            sizing_mode="stretch_width",
            stylesheets=stylesheets(),
        )
        self.list_view = ProcessListView(
            sizing_mode="stretch_width", stylesheets=stylesheets(), margin=(4, 0)
        )
        self.search.param.watch(self._on_search, "value_input")
        catalog.param.watch(self._refresh, ["processes", "query", "loaded", "load_error"])
        catalog.param.watch(self._on_catalog_selection, "selected_id")
        self.list_view.param.watch(self._on_click, "selected")
        self._refresh()
        self._layout = pn.Column(
            pn.pane.HTML(
                '<div class="pd-section-title">Processes</div>',
                stylesheets=stylesheets(),
                margin=0,
            ),
            self.search,
            self.list_view,
            sizing_mode="stretch_width",
            margin=0,
        )

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout

    def _on_search(self, event: param.parameterized.Event) -> None:
        self.catalog.query = event.new or ""

    def _on_click(self, event: param.parameterized.Event) -> None:
        if event.new and event.new != self.catalog.selected_id:
            self.catalog.selected_id = event.new

    def _on_catalog_selection(self, event: param.parameterized.Event) -> None:
        if (event.new or "") != self.list_view.selected:
            self.list_view.selected = event.new or ""

    def _refresh(self, *_: object) -> None:
        visible: Sequence[ProcessSummary] = self.catalog.visible
        if not self.catalog.loaded:
            error = self.catalog.load_error
            empty = (f"Could not load the processes ({error}). Trying again…" if error
                     else "Loading processes…")
        elif not self.catalog.processes:
            empty = "This server offers no processes."
        else:
            empty = "No process matches your search."
        self.list_view.param.update(empty_text=empty, items=[_item(p) for p in visible])

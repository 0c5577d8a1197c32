"""Drafts: each process's form and request options, kept for the whole session and
handed over to the session that replaces this one (the theme switch reloads the page).

:meth:`Drafts.snapshot` is plain data (the selection, the search and every draft:
inputs, the chosen ``oneOf``/``anyOf`` branches, outputs, mode); :meth:`Drafts.restore`
takes one over: each handed-over draft fills its form when the form is built.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from procdeck.gui.browser import ProcessCatalog
from procdeck.gui.request_panel import RequestOptions
from procdeck.ogc.models import ProcessDescription

if TYPE_CHECKING:
    from procdeck.forms import InputForm

__all__ = ["Drafts", "apply_draft", "selected_branches"]


class Drafts:
    """The forms and request options of the processes opened in this session.

    ``on_change()`` runs whenever any draft changes (its value, errors or validity,
    or its request options).
    """

    def __init__(self, catalog: ProcessCatalog, on_change: Callable[[], None]) -> None:
        self.catalog = catalog
        self._on_change = on_change
        self.forms: dict[str, InputForm] = {}
        self.options: dict[str, RequestOptions] = {}
        self._handed_over: dict[str, dict[str, Any]] = {}  # applied when each form is built
        self._selection: str | None = None  # selected again once the list is there

    def ensure(self, description: ProcessDescription) -> None:
        """Build the form and options of ``description``'s process, unless they exist."""
        from procdeck.forms import InputForm

        if description.id in self.forms:
            return
        form = InputForm(description)
        options = RequestOptions(description)
        handed_over = self._handed_over.pop(description.id, None)
        if handed_over is not None:
            apply_draft(form, options, handed_over)
        self.forms[description.id] = form
        self.options[description.id] = options
        watched = [name for name in ("value", "errors", "is_valid") if name in form.param]
        form.param.watch(self._changed, watched)
        options.param.watch(self._changed, "changed")

    def _changed(self, *_: object) -> None:
        self._on_change()

    def snapshot(self) -> dict[str, Any]:
        """The selection, the search and every draft, as plain data for :meth:`restore`."""
        drafts = copy.deepcopy(self._handed_over)  # handed over, not opened yet
        for process_id, form in self.forms.items():
            options = self.options[process_id]
            drafts[process_id] = {
                "request": copy.deepcopy({"inputs": form.value, **options.parts()}),
                "mode": options.mode,
                "branches": selected_branches(form),
            }
        return {"selected": self.catalog.selected_id or self._selection,
                "query": self.catalog.query, "drafts": drafts}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Take over a :meth:`snapshot` (anything odd in it is ignored)."""
        drafts = snapshot.get("drafts")
        if isinstance(drafts, dict):
            self._handed_over.update(
                {k: v for k, v in drafts.items() if k not in self.forms and isinstance(v, dict)}
            )
        query = snapshot.get("query")
        if isinstance(query, str):
            self.catalog.query = query
        selected = snapshot.get("selected")
        self._selection = selected if isinstance(selected, str) else None

    def take_selection(self) -> str | None:
        """The handed-over selection, once, if the catalog lists that process."""
        selected, self._selection = self._selection, None
        return selected if selected and self.catalog.get(selected) is not None else None


def selected_branches(form: InputForm) -> dict[str, dict[str, Any]]:
    """Path -> selected branch and its value of every ``oneOf``/``anyOf`` field in use.

    A value alone may fit several branches (an empty draft fits most): the
    branch the person chose is kept explicitly.
    """
    from procdeck.forms import ChoiceField

    found: dict[str, dict[str, Any]] = {}
    todo = list(form.fields)
    while todo:
        field = todo.pop()
        if isinstance(field, ChoiceField):
            found[field.path] = {"branch": field.branch,
                                 "value": copy.deepcopy(field.branch_field().value)}
        todo.extend(field.built_children())
    return found


def apply_draft(form: InputForm, options: RequestOptions, draft: dict[str, Any]) -> None:
    """Fill a new form and its options from a handed-over draft (see :meth:`Drafts.snapshot`)."""
    from procdeck.forms import MISSING, ChoiceField

    request = draft.get("request") or {}
    form.value = dict(request.get("inputs") or {})
    options.apply(request)
    if draft.get("mode") in options.param["mode"].objects:
        options.mode = draft["mode"]
    branches = draft.get("branches") or {}
    # outer choices first: switching one rebuilds what is inside it
    for path in sorted(branches, key=len):
        field, chosen = form.find(path), branches[path]
        if not isinstance(field, ChoiceField) or field.branch == chosen.get("branch"):
            continue
        if not 0 <= chosen.get("branch", -1) < len(field.branch_schemas):
            continue
        field.branch = chosen["branch"]
        if chosen.get("value") is not MISSING:
            field.branch_field().value = copy.deepcopy(chosen["value"])

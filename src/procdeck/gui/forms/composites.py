"""Built-in factories for composite fields: objects, key/value maps, lists and choices."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import panel as pn
from panel.io import hold

from procdeck.forms import ArrayField, ChoiceField, Field, MapField, ObjectField
from procdeck.gui.forms.registry import WidgetFactory
from procdeck.gui.forms.renderer import BUTTON_COLOR, LABEL, FormRenderer, Slot

__all__ = ["ArrayFactory", "ChoiceFactory", "Disclosure", "MapFactory", "ObjectFactory"]

_CLOSED, _OPEN = "▸", "▾"
SECTION_CSS = """
:host { border-left: 2px solid var(--pd-border, #d0d7de); padding-left: 6px; margin-left: 10px; }
"""
HEADER_CSS = """
:host { margin: 6px 10px 2px 10px; }
.pd-head { font-weight: 600; font-size: 0.95em; }
.pd-desc { font-size: 0.85em; opacity: 0.8; margin-top: 2px; white-space: pre-wrap; }
"""


def header(title: str, description: str | None = None) -> pn.pane.HTML:
    """A small heading (with plain-text description) for a group of inputs."""
    text = f'<div class="pd-head">{html.escape(title)}</div>'
    if description:
        text += f'<div class="pd-desc">{html.escape(description)}</div>'
    return pn.pane.HTML(text, stylesheets=[HEADER_CSS], sizing_mode="stretch_width")


class Disclosure:
    """A toggle button that shows and hides a section built on first opening.

    Building lazily keeps big forms fast and makes recursive schemas finite.
    A closed disclosure is only its button (``view``); whoever places it says
    where the section goes with :meth:`attach` (the renderer does this for
    field slots: right below the button). One that starts open is a Column of
    button and section.
    """

    def __init__(self, title: str, build: Callable[[], pn.viewable.Viewable], *,
                 opened: bool = False, description: str | None = None) -> None:
        self.title = title
        self._build = build
        self._description = description
        self._place: Callable[[pn.viewable.Viewable], None] | None = None
        self.toggle = pn.widgets.Toggle(**{LABEL: self._label(opened)}, value=opened,
                                        **{BUTTON_COLOR: "light"}, align="start", margin=(4, 10))
        self.content: pn.Column | None = None
        self.view: pn.viewable.Viewable = self.toggle
        if opened:
            self.content = self._make_content()
            self.view = pn.Column(self.toggle, self.content, margin=0,
                                  sizing_mode="stretch_width")
        self.toggle.param.watch(self._on_toggle, "value")

    def attach(self, place: Callable[[pn.viewable.Viewable], None]) -> None:
        """Say how to put the section in place (called once, when it is first opened)."""
        self._place = place

    def _label(self, opened: bool) -> str:
        return f"{_OPEN if opened else _CLOSED} {self.title}"

    def _make_content(self) -> pn.Column:
        parts: list[Any] = []
        if self._description:
            parts.append(header("", self._description))
        parts.append(self._build())
        return pn.Column(*parts, margin=(0, 0, 6, 0), sizing_mode="stretch_width",
                         stylesheets=[SECTION_CSS])

    @property
    def is_open(self) -> bool:
        """True while the section is shown."""
        return bool(self.toggle.value)

    def open(self) -> None:
        """Show the section (building it the first time)."""
        if self.content is None:
            if self._place is None:
                raise RuntimeError(f"the section {self.title!r} has no place to open in")
            self.content = self._make_content()
            self._place(self.content)
        self.content.visible = True
        self.toggle.param.update(value=True, name=self._label(True))

    def close(self) -> None:
        """Hide the section (its widgets and drafts are kept)."""
        if self.content is not None:
            self.content.visible = False
        self.toggle.param.update(value=False, name=self._label(False))

    def _on_toggle(self, event: Any) -> None:
        if event.new:
            self.open()
        else:
            self.close()


def _depth(field: Field) -> int:
    depth, parent = 0, field.parent
    while parent is not None:
        depth += 1
        parent = parent.parent
    return depth


class ObjectFactory(WidgetFactory):
    """A collapsible section with one input per property (built when opened)."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, ObjectField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, ObjectField)

        def build() -> pn.viewable.Viewable:
            children = list(field.fields)
            if field.extra is None and field.allows_extra:
                field.extra_entries()
            if field.extra is not None:
                children.append(field.extra)
            return renderer.column(children)

        # required objects near the top start open: they must be filled in anyway
        opened = field.required and _depth(field) <= 1 and not field.advanced
        disclosure = Disclosure(field.title, build, opened=opened,
                                description=field.help_text or None)
        return renderer.hosted(disclosure)


class _ListEditor:
    """Shared machinery of list-like editors: one row per child, an Add button."""

    def __init__(self, field: Field, renderer: FormRenderer, add_label: str) -> None:
        self.field = field
        self.renderer = renderer
        self.rows = pn.Column(margin=0, sizing_mode="stretch_width")
        self.add_button = pn.widgets.Button(**{LABEL: add_label}, **{BUTTON_COLOR: "light"},
                                            align="start", margin=(2, 10))
        self._cells: dict[int, pn.Column] = {}

    def cell(self, child: Field, build_row: Callable[[pn.viewable.Viewable], Any]) -> pn.Column:
        """The (cached) cell of one child: its row and its error messages."""
        cell = self._cells.get(id(child))
        if cell is None:
            slot: Slot = self.renderer.slot(child, build_row)
            cell = self.renderer.column_of([slot])
            self._cells[id(child)] = cell
        return cell

    def show(self, children: list[Field], build_row: Callable[[Field], Any]) -> None:
        """Show the cells of ``children`` in order (new children get new cells)."""
        cells = [self.cell(c, build_row(c)) for c in children]
        alive = {id(c) for c in children}
        self._cells = {k: v for k, v in self._cells.items() if k in alive}
        self.rows.objects = cells


def _button(name: str, action: Callable[[], None], disabled: bool = False,
            description: str | None = None) -> pn.widgets.Button:
    button = pn.widgets.Button(**{LABEL: name}, **{BUTTON_COLOR: "light"}, disabled=disabled,
                               margin=(5, 2), align="end", description=description)
    button.on_click(lambda _: action())
    return button


class ArrayFactory(WidgetFactory):
    """A list editor: one input (or sub-form) per item, with Up, Down, Remove and Add."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, ArrayField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, ArrayField)
        editor = _ListEditor(field, renderer, f"Add {field.title} item")

        def build_row(item: Field) -> Callable[[pn.viewable.Viewable], Any]:
            def wrap(view: pn.viewable.Viewable) -> Any:
                def index() -> int:  # where the item is now, not where it was
                    return field.items.index(item)

                up = _button("Up", lambda: field.move(index(), index() - 1),
                             description="Move this item up")
                down = _button("Down", lambda: field.move(index(), index() + 1),
                               description="Move this item down")
                remove = _button("Remove", lambda: field.remove(index()),
                                 description="Remove this item")
                controls = pn.Row(up, down, remove, margin=0, align="end")
                return pn.Row(view, controls, margin=0, sizing_mode="stretch_width")
            return wrap

        def refresh(*_: Any) -> None:
            editor.show(list(field.items), build_row)
            editor.add_button.disabled = not field.can_add or field.read_only

        editor.add_button.on_click(lambda _: field.add())
        field.param.watch(refresh, "items")
        refresh()
        head = header(field.title, field.help_text or None)
        return pn.Column(head, editor.rows, editor.add_button, margin=0,
                         sizing_mode="stretch_width")


class MapFactory(WidgetFactory):
    """A key/value editor for free-form entries (``additionalProperties``)."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, MapField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, MapField)
        # the extra entries of an object share its path (key None): name the object
        owner = field.parent.title if field.key is None and field.parent else field.title
        editor = _ListEditor(field, renderer, f"Add {owner} entry")

        def build_row(entry: Field) -> Callable[[pn.viewable.Viewable], Any]:
            def wrap(view: pn.viewable.Viewable) -> Any:
                key = pn.widgets.TextInput(**{LABEL: "Key"}, value=str(entry.key or ""), width=160,
                                           placeholder="name")

                def rename(event: Any) -> None:
                    field.rename(field.entries.index(entry), event.new)

                key.param.watch(rename, "value")
                remove = _button("Remove", lambda: field.remove(field.entries.index(entry)),
                                 description="Remove this entry")
                return pn.Row(key, view, remove, margin=0, sizing_mode="stretch_width")
            return wrap

        def refresh(*_: Any) -> None:
            editor.show(list(field.entries), build_row)

        editor.add_button.on_click(lambda _: field.add())
        field.param.watch(refresh, "entries")
        refresh()
        head = header(field.title, field.help_text or None)
        return pn.Column(head, editor.rows, editor.add_button, margin=0,
                         sizing_mode="stretch_width")


class ChoiceFactory(WidgetFactory):
    """A variant picker (oneOf/anyOf/type lists) above the selected variant's inputs.

    Each variant's inputs are built once and kept, so switching keeps drafts.
    """

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, ChoiceField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, ChoiceField)
        labels = list(field.labels)
        picker = pn.widgets.Select(**{LABEL: f"{field.title} variant"}, options=labels,
                                   value=labels[field.branch], disabled=field.read_only,
                                   sizing_mode="stretch_width")
        holder = pn.Column(margin=0, sizing_mode="stretch_width")
        views: dict[int, pn.Column] = {}

        def place(index: int) -> None:
            view = views.get(index)
            if view is None:
                view = renderer.column([field.branch_field(index)])
                views[index] = view
            if holder.objects != [view]:
                holder.objects = [view]

        def show(*_: Any) -> None:
            index = field.branch
            if picker.value != labels[index]:
                picker.value = labels[index]
            place(index)

        def pick(event: Any) -> None:
            # the chosen variant's inputs first, then the value: by the time the page shows
            # the new request, the inputs it belongs to are in place (one batch of changes)
            index = labels.index(event.new)
            with hold():
                place(index)
                field.branch = index

        picker.param.watch(pick, "value")
        field.param.watch(show, "branch")
        show()
        return pn.Column(picker, holder, margin=0, sizing_mode="stretch_width")

"""The renderer: turns field view-models into Panel objects through the registry.

It owns the cross-cutting parts every widget needs: two-way binding between a
widget and a field, the "no value" toggle of nullable fields, and error
messages shown right below the field (created only when a field first has
errors, so a large valid form builds no error panes at all).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import panel as pn

from procdeck._util.reentry import Reentry
from procdeck.forms import Field
from procdeck.gui.forms.components import NativeInput
from procdeck.gui.forms.group import FieldGroup, GroupBinding, InlineSpec
from procdeck.gui.forms.registry import WidgetFactory, WidgetRegistry

__all__ = ["BUTTON_COLOR", "LABEL", "FormRenderer", "Slot", "help_markdown"]

#: The widget parameter holding the visible label (``name`` before Panel 1.9).
LABEL = "label" if "label" in pn.widgets.TextInput.param else "name"
#: The button parameter holding its colour (``button_type`` before Panel 1.9).
BUTTON_COLOR = "color" if "color" in pn.widgets.Button.param else "button_type"

ERROR_CSS = """
:host { margin: 0 10px 6px 10px; }
.pd-errors { color: var(--pd-error, #b3261e); font-size: 0.85em; margin: 0; }
.pd-errors p { margin: 0; }
"""


def help_markdown(field: Field) -> str | None:
    """The field's help as Markdown that cannot carry HTML (Panel renders it as Markdown)."""
    text = field.help_text
    return html.escape(text, quote=False) if text else None


def identity(value: Any) -> Any:
    """Pass a value through unchanged."""
    return value


class Slot:
    """Where one field is shown: its Panel object and, when needed, its error pane."""

    def __init__(self, field: Field, anchor: pn.viewable.Viewable) -> None:
        self.field = field
        self.anchor = anchor
        self.container: pn.layout.ListPanel | None = None
        self.error_pane: pn.pane.HTML | None = None
        field.param.watch(self._on_errors, "errors")

    def objects(self) -> list[pn.viewable.Viewable]:
        """What goes into the container (the error pane only if there are errors now)."""
        if self.field.errors:
            self._ensure_pane()
            assert self.error_pane is not None
            return [self.anchor, self.error_pane]
        return [self.anchor]

    def insert_after_anchor(self, obj: pn.viewable.Viewable) -> None:
        """Put ``obj`` right below this slot's widget(s)."""
        if self.container is None:
            raise RuntimeError(f"the field {self.field.path!r} is not placed yet")
        index = _index_of(self.container, self.anchor)
        if index is None:
            raise RuntimeError(f"the field {self.field.path!r} left its container")
        self.container.insert(index + 1, obj)

    def _ensure_pane(self) -> None:
        if self.error_pane is None:
            self.error_pane = pn.pane.HTML(
                _errors_html(self.field.errors), stylesheets=[ERROR_CSS],
                css_classes=["pd-field-errors"], sizing_mode="stretch_width",
            )

    def _on_errors(self, event: Any) -> None:
        messages = self.field.errors
        if self.error_pane is None:
            if not messages or self.container is None:
                return
            self._ensure_pane()
            index = _index_of(self.container, self.anchor)
            if index is None:
                return
            self.container.insert(index + 1, self.error_pane)
            return
        self.error_pane.object = _errors_html(messages)
        self.error_pane.visible = bool(messages)


def _index_of(container: pn.layout.ListPanel, obj: Any) -> int | None:
    for index, item in enumerate(container.objects):
        if item is obj:
            return index
    return None


def _errors_html(messages: list[str]) -> str:
    if not messages:
        return ""
    body = "".join(f"<p>{html.escape(m)}</p>" for m in messages)
    return f'<div class="pd-errors" role="alert">{body}</div>'


class FormRenderer:
    """Renders fields with the best-fitting factories of a registry."""

    def __init__(self, registry: WidgetRegistry) -> None:
        self.registry = registry
        self._unplaced: list[Any] = []

    def hosted(self, disclosure: Any) -> pn.viewable.Viewable:
        """Remember a lazily opened section so the slot being rendered can place it."""
        self._unplaced.append(disclosure)
        return disclosure.view

    # -- rendering ------------------------------------------------------------------
    def render(self, field: Field, factory: WidgetFactory | None = None) -> pn.viewable.Viewable:
        """The Panel object for one field (with a "no value" toggle when nullable)."""
        factory = factory or self.registry.best(field)
        view = factory.create(field, self)
        if field.nullable and not factory.handles_null:
            view = self._with_null_toggle(field, view)
        return view

    def group(self, fields: list[Field], specs: list[InlineSpec]) -> FieldGroup:
        """One :class:`FieldGroup` drawing simple fields (their errors included)."""
        entries = [(f, s, f"f{i}") for i, (f, s) in enumerate(zip(fields, specs, strict=True))]
        return GroupBinding(entries).group

    def slot(self, field: Field, decorate: Callable[[pn.viewable.Viewable], Any] | None = None,
             factory: WidgetFactory | None = None) -> Slot:
        """Render ``field`` (optionally wrapped by ``decorate``) and track its errors."""
        mark = len(self._unplaced)
        view = self.render(field, factory)
        slot = Slot(field, decorate(view) if decorate else view)
        # sections created for this field open right below its slot
        for disclosure in self._unplaced[mark:]:
            disclosure.attach(slot.insert_after_anchor)
        del self._unplaced[mark:]
        return slot

    def column(self, fields: list[Field], **params: Any) -> pn.Column:
        """A Column showing ``fields`` in order.

        Runs of simple fields share one :class:`FieldGroup` (errors drawn inside);
        other fields get their own widgets with errors appearing below them.
        """
        objects: list[Any] = []
        slots: list[Slot] = []
        run: list[tuple[Field, InlineSpec]] = []

        def flush() -> None:
            if run:
                objects.append(self.group([f for f, _ in run], [s for _, s in run]))
                run.clear()

        for field in fields:
            factory = self.registry.best(field)
            inline = getattr(factory, "inline", None)
            if inline is not None:
                run.append((field, inline(field)))
                continue
            flush()
            slot = self.slot(field, factory=factory)
            slots.append(slot)
            objects.extend(slot.objects())
        flush()
        return self._column(objects, slots, **params)

    def column_of(self, slots: list[Slot], **params: Any) -> pn.Column:
        """A Column holding ready slots."""
        return self._column([obj for s in slots for obj in s.objects()], slots, **params)

    @staticmethod
    def _column(objects: list[Any], slots: list[Slot], **params: Any) -> pn.Column:
        params.setdefault("sizing_mode", "stretch_width")
        params.setdefault("margin", 0)
        column = pn.Column(*objects, **params)
        for s in slots:
            s.container = column
        return column

    # -- binding --------------------------------------------------------------------
    def link(
        self,
        field: Field,
        widget: Any,
        *,
        to_widget: Callable[[Any], Any] = identity,
        from_widget: Callable[[Any], Any] = identity,
        prop: str = "value",
        also: tuple[str, ...] = (),
        field_prop: str = "value",
    ) -> None:
        """Keep ``widget.<prop>`` and ``field.<field_prop>`` in step, both ways.

        ``also`` names widget parameters that report the same edit as it happens
        (e.g. ``value_input`` of text inputs, for validation while typing). Each side's
        write is not echoed back to it (held in ``own_change``): what the person types
        is not rewritten while they type.
        """
        own_change = Reentry()

        def on_widget(*events: Any) -> None:
            # several watched parameters changing together arrive as one batch
            if own_change:
                return
            with own_change:
                setattr(field, field_prop, from_widget(events[-1].new))

        def on_field(event: Any) -> None:
            if own_change:
                return
            with own_change:
                shown = to_widget(event.new)
                widget.param.update({name: shown for name in (prop, *also)})

        widget.param.watch(on_widget, [prop, *also])
        field.param.watch(on_field, field_prop)

    def _with_null_toggle(self, field: Field, view: Any) -> pn.viewable.Viewable:
        toggle = NativeInput(input_type="checkbox", label="No value", value=field.value is None,
                             margin=(0, 10))
        disable = hasattr(view, "disabled") and "disabled" in view.param

        def sync(*_: Any) -> None:
            is_null = field.value is None
            if toggle.value != is_null:
                toggle.value = is_null
            if disable:
                view.disabled = is_null or field.read_only

        def on_toggle(event: Any) -> None:
            if bool(event.new) != (field.value is None):
                field.set_null(bool(event.new))

        toggle.param.watch(on_toggle, "value")
        field.param.watch(sync, "value")
        sync()
        return pn.Column(view, toggle, margin=0, sizing_mode="stretch_width")


"""Built-in widget factories for single-value fields (text, numbers, choices, files ...).

Most are :class:`InlineFactory` subclasses: their fields are drawn as native
controls inside a shared :class:`~procdeck.gui.forms.group.FieldGroup`, which
is what keeps big forms fast. Sliders, file uploads, JSON editors and the
``{bbox, crs}`` object use Panel widgets.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import panel as pn

from procdeck.forms import (
    MISSING,
    BBoxField,
    BinaryField,
    BooleanField,
    ConstField,
    EnumField,
    Field,
    JsonField,
    MultiChoiceField,
    NumberField,
    NumberRowField,
    StringField,
)
from procdeck.gui.forms.components import NumberRow
from procdeck.gui.forms.group import InlineSpec
from procdeck.gui.forms.registry import WidgetFactory
from procdeck.gui.forms.renderer import LABEL, FormRenderer, help_markdown

__all__ = [
    "BBoxObjectFactory",
    "BinaryFactory",
    "BooleanFactory",
    "ConstFactory",
    "EnumFactory",
    "InlineFactory",
    "JsonFactory",
    "MultiChoiceFactory",
    "NumberFactory",
    "NumberRowFactory",
    "RadioFactory",
    "SliderFactory",
    "TextFactory",
]

NOT_SET = "(not set)"


class InlineFactory(WidgetFactory):
    """A factory whose fields are drawn inside a shared ``FieldGroup``.

    Subclasses implement :meth:`inline`; consecutive fields of inline factories
    share one group. On its own (``create``) a field gets a group of one.
    """

    handles_null = True  # the group draws the "No value" box itself

    def inline(self, field: Field) -> InlineSpec:
        """How the field appears in a group."""
        raise NotImplementedError

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        return renderer.group([field], [self.inline(field)])


def _text_of(value: Any) -> str:
    if value is MISSING or value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _text_or_missing(text: Any) -> Any:
    return text if isinstance(text, str) and text else MISSING


_TEXT_CONTROLS = {"date": "date", "time": "time"}


class TextFactory(InlineFactory):
    """Text: a text box (format example as placeholder), the browser's date and time
    inputs for ``format: date`` / ``time``, a password box for secrets, a text area
    for long text."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, StringField) else 0

    def inline(self, field: Field) -> InlineSpec:
        assert isinstance(field, StringField)
        if field.is_secret:
            control = "password"
        elif field.is_long_text:
            control = "textarea"
        else:
            control = _TEXT_CONTROLS.get(field.format or "", "text")
        return InlineSpec(control, _text_of, _text_or_missing,
                          {"placeholder": field.placeholder})


def _number_or_none(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


class NumberFactory(InlineFactory):
    """A number box; inclusive bounds and ``multipleOf`` become its min, max and step
    (an exclusive bound stays type-able so the message explains it)."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, NumberField) else 0

    def inline(self, field: Field) -> InlineSpec:
        assert isinstance(field, NumberField)
        schema = field.schema
        attrs: dict[str, Any] = {"placeholder": field.placeholder,
                                 "min": _number_or_none(schema.get("minimum")),
                                 "max": _number_or_none(schema.get("maximum")),
                                 "step": field.step or (1 if field.integer else "any")}

        def to_shown(value: Any) -> Any:
            number = _number_or_none(value)
            if number is not None and field.integer and float(number).is_integer():
                return int(number)
            return number

        def from_shown(shown: Any) -> Any:
            number = _number_or_none(shown)
            if number is None:
                return MISSING
            return int(number) if field.integer and float(number).is_integer() else number

        return InlineSpec("number", to_shown, from_shown, attrs)


class BooleanFactory(InlineFactory):
    """A labelled checkbox."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, BooleanField) else 0

    def inline(self, field: Field) -> InlineSpec:
        return InlineSpec("checkbox", lambda v: v is True, bool)


def _enum_choices(field: EnumField, radio: bool) -> tuple[list[str], list[Any]]:
    labels, values = list(field.labels), list(field.options)
    # nullable: the group's "No value" box says null; optional: an explicit
    # "not set" entry (radio buttons can simply be left unchecked)
    if not field.nullable and not radio and (not field.required or field.value is MISSING):
        labels.insert(0, NOT_SET)
        values.insert(0, MISSING)
    return labels, values


def _index_of_value(values: list[Any], value: Any) -> int | None:
    for index, option in enumerate(values):
        if option is value or (type(option) is type(value) and option == value):
            return index
    return None


class EnumFactory(InlineFactory):
    """A drop-down of the allowed values (with a "not set" entry when optional)."""

    control = "select"

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, EnumField) else 0

    def inline(self, field: Field) -> InlineSpec:
        assert isinstance(field, EnumField)
        radio = self.control == "radio"
        labels, values = _enum_choices(field, radio)

        def to_shown(value: Any) -> Any:
            return _index_of_value(values, value)  # None: nothing selected

        def from_shown(index: Any) -> Any:
            if not isinstance(index, int) or not 0 <= index < len(values):
                return None if field.nullable else MISSING
            return values[index]

        return InlineSpec(self.control, to_shown, from_shown, {"options": labels})


class RadioFactory(EnumFactory):
    """Radio buttons for a few options or when asked (``x-ui-widget: radio``)."""

    control = "radio"

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 20 if isinstance(field, EnumField) and field.as_radio else 0


class MultiChoiceFactory(InlineFactory):
    """Checkboxes for a set of enum values."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, MultiChoiceField) else 0

    def inline(self, field: Field) -> InlineSpec:
        assert isinstance(field, MultiChoiceField)
        options = field.options

        def to_shown(value: Any) -> list[int]:
            items = value if isinstance(value, list) else []
            return [i for i, o in enumerate(options) if _index_of_value(items, o) is not None]

        def from_shown(selected: Any) -> Any:
            chosen = sorted(i for i in (selected or []) if isinstance(i, int))
            if not chosen and not field.required and field.value is MISSING:
                return MISSING
            return [options[i] for i in chosen]

        return InlineSpec("checkboxes", to_shown, from_shown, {"options": field.labels})


class ConstFactory(InlineFactory):
    """The fixed value, shown read-only."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, ConstField) else 0

    def inline(self, field: Field) -> InlineSpec:
        assert isinstance(field, ConstField)
        text = json.dumps(field.const)
        return InlineSpec("static", lambda _: text, lambda _: field.value)


class NumberRowFactory(InlineFactory):
    """A short fixed-length list of numbers, or a bounding box, in one row."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, NumberRowField) else 0

    def inline(self, field: Field) -> InlineSpec:
        assert isinstance(field, NumberRowField)
        size = field.size

        def to_shown(_: Any) -> list[Any]:
            numbers = [_number_or_none(v) for v in field.coordinates[:size]]
            return numbers + [None] * (size - len(numbers))

        def from_shown(shown: Any) -> list[Any]:
            numbers = [_number_or_none(v) for v in (shown or [])][:size]
            return numbers + [None] * (size - len(numbers))

        return InlineSpec("numbers", to_shown, from_shown,
                          {"labels": field.labels, "integer": field.integer},
                          apply=field.set_numbers)


class BBoxObjectFactory(WidgetFactory):
    """The OGC ``{bbox, crs}`` object: a row of coordinates and a CRS box."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 15 if isinstance(field, BBoxField) and field.object_form else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, BBoxField)
        size = field.size

        def to_widget(_: Any) -> list[Any]:
            numbers = [_number_or_none(v) for v in field.coordinates[:size]]
            return numbers + [None] * (size - len(numbers))

        row = NumberRow(title=field.title, labels=field.labels, values=to_widget(None),
                        integer=field.integer, help=field.help_text,
                        disabled=field.read_only, sizing_mode="stretch_width")

        def from_widget(numbers: list[Any]) -> Any:
            field.set_numbers(list(numbers))
            return field.value

        renderer.link(field, row, prop="values", to_widget=to_widget, from_widget=from_widget)
        crs = pn.widgets.TextInput(**{LABEL: f"{field.title} CRS"}, value=field.crs or "",
                                   placeholder="http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                                   sizing_mode="stretch_width")
        renderer.link(field, crs, field_prop="crs", to_widget=lambda v: v or "",
                      from_widget=lambda text: text or None)
        return pn.Column(row, crs, margin=0, sizing_mode="stretch_width")


class SliderFactory(WidgetFactory):
    """A slider when asked (``x-ui-widget: slider``) and both bounds are known."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        if not isinstance(field, NumberField) or field.widget != "slider":
            return 0
        lo, hi = field.bounds
        return 20 if lo is not None and hi is not None else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, NumberField)
        lo, hi = field.bounds
        assert lo is not None and hi is not None
        step = field.step or (1 if field.integer else (hi - lo) / 100 or 0.01)
        cls = pn.widgets.IntSlider if field.integer else pn.widgets.FloatSlider
        start = _number_or_none(field.value)
        widget = cls(**{LABEL: field.title}, start=lo, end=hi, step=step,
                     value=start if start is not None else lo, disabled=field.read_only,
                     sizing_mode="stretch_width")
        renderer.link(field, widget, to_widget=lambda v: v if _number_or_none(v) is not None
                      else widget.value)
        return widget


class BinaryFactory(WidgetFactory):
    """A file chooser; the file's content is sent base64-encoded."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, BinaryField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, BinaryField)
        chooser = pn.widgets.FileInput(**{LABEL: field.title}, accept=field.media_type or "",
                                       description=help_markdown(field),
                                       disabled=field.read_only)
        status = pn.widgets.StaticText(**{LABEL: f"{field.title} content"},
                                       value=_file_status(field))

        def on_file(event: Any) -> None:
            if event.new is not None:
                field.set_bytes(event.new, chooser.filename)

        chooser.param.watch(on_file, "value")
        field.param.watch(lambda *_: setattr(status, "value", _file_status(field)), "value")
        return pn.Column(chooser, status, margin=0, sizing_mode="stretch_width")


def _file_status(field: BinaryField) -> str:
    value = field.value
    if not isinstance(value, str) or not value:
        return "No file chosen."
    try:
        size = len(base64.b64decode(value, validate=True))
    except ValueError:
        return f"{len(value)} characters (not valid base64)"
    name = f"{field.filename}: " if field.filename else ""
    return f"{name}{size} bytes"


class JsonFactory(WidgetFactory):
    """A JSON text editor (checked as you type) for anything without a better widget."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, JsonField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, JsonField)
        note = help_markdown(field) or ""
        if field.reason:
            note = (note + "\n\n" if note else "") + f"Edited as JSON ({field.reason})."
        widget = pn.widgets.TextAreaInput(
            **{LABEL: field.title}, value=field.text, value_input=field.text, rows=3,
            auto_grow=True, max_rows=16, placeholder=field.placeholder or "JSON value",
            description=note or None, disabled=field.read_only, sizing_mode="stretch_width",
            stylesheets=[".bk-input { font-family: ui-monospace, monospace; }"],
        )
        renderer.link(field, widget, field_prop="text", also=("value_input",))
        return widget

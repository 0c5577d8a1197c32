"""Built-in widget factories for single-value fields (text, numbers, choices, files ...)."""

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
from procdeck.gui.forms.components import NativeInput, NumberRow, OptionGroup
from procdeck.gui.forms.registry import WidgetFactory
from procdeck.gui.forms.renderer import LABEL, FormRenderer, help_markdown

__all__ = [
    "BinaryFactory",
    "BooleanFactory",
    "ConstFactory",
    "DateFactory",
    "EnumFactory",
    "JsonFactory",
    "MultiChoiceFactory",
    "NumberFactory",
    "NumberRowFactory",
    "RadioFactory",
    "SliderFactory",
    "TextFactory",
    "TimeFactory",
]

NOT_SET = "(not set)"
NO_VALUE = "(no value)"


def _text_of(value: Any) -> str:
    if value is MISSING or value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _plain_help(field: Field) -> str:
    return field.help_text


class TextFactory(WidgetFactory):
    """Text input (also date-time, e-mail, URI ... with a format example as placeholder);
    a password box for secrets and a text area for long text."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, StringField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, StringField)
        params = {
            LABEL: field.title, "value": _text_of(field.value), "placeholder": field.placeholder,
            "description": help_markdown(field), "disabled": field.read_only,
            "sizing_mode": "stretch_width",
        }
        if field.is_secret:
            widget: Any = pn.widgets.PasswordInput(**params)
        elif field.is_long_text:
            widget = pn.widgets.TextAreaInput(rows=3, auto_grow=True, max_rows=12, **params)
        else:
            widget = pn.widgets.TextInput(**params)
        widget.value_input = params["value"]
        renderer.link(field, widget, to_widget=_text_of,
                      from_widget=lambda text: text if text else MISSING, also=("value_input",))
        return widget


class DateFactory(WidgetFactory):
    """The browser's date input (type-able, with a calendar) for ``format: date``."""

    input_type = "date"
    fmt = "date"

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 20 if isinstance(field, StringField) and field.format == self.fmt else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        widget = NativeInput(
            input_type=self.input_type, label=field.title, value=_text_of(field.value),
            help=_plain_help(field), disabled=field.read_only, sizing_mode="stretch_width",
            step="1" if self.input_type == "time" else "",
        )
        renderer.link(field, widget, to_widget=_text_of,
                      from_widget=lambda text: text if text else MISSING)
        return widget


class TimeFactory(DateFactory):
    """The browser's time input for ``format: time``."""

    input_type = "time"
    fmt = "time"


def _number_or_none(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


class NumberFactory(WidgetFactory):
    """A number box; bounds and ``multipleOf`` become its limits and step."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, NumberField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, NumberField)
        schema = field.schema
        params: dict[str, Any] = {
            LABEL: field.title, "value": _shown_number(field, field.value),
            "placeholder": field.placeholder, "description": help_markdown(field),
            "disabled": field.read_only, "sizing_mode": "stretch_width",
        }
        # only inclusive bounds become hard limits: an exclusive bound must stay
        # type-able so the user sees the message instead of a silent clamp
        if _number_or_none(schema.get("minimum")) is not None:
            params["start"] = schema["minimum"]
        if _number_or_none(schema.get("maximum")) is not None:
            params["end"] = schema["maximum"]
        if field.step is not None:
            params["step"] = field.step
        cls = pn.widgets.FloatInput
        if field.integer:
            cls = pn.widgets.IntInput
            for key in ("start", "end", "step"):
                if key in params:
                    whole = float(params[key])
                    if whole.is_integer():
                        params[key] = int(whole)
                    else:  # a fractional limit cannot bind an integer box; validation says it
                        del params[key]
        widget = cls(**params)
        renderer.link(field, widget, to_widget=lambda v: _shown_number(field, v),
                      from_widget=lambda v: MISSING if v is None else v)
        return widget


def _shown_number(field: NumberField, value: Any) -> Any:
    number = _number_or_none(value)
    if number is not None and field.integer:
        return int(number) if float(number).is_integer() else None
    return number


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


class BooleanFactory(WidgetFactory):
    """A labelled checkbox."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, BooleanField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        widget = NativeInput(input_type="checkbox", label=field.title, value=field.value is True,
                             help=_plain_help(field), disabled=field.read_only)
        renderer.link(field, widget, to_widget=lambda v: v is True, from_widget=bool)
        return widget


def _enum_choices(field: EnumField) -> tuple[list[str], list[Any]]:
    labels, values = list(field.labels), list(field.options)
    if field.nullable:
        labels.insert(0, NO_VALUE)
        values.insert(0, None)
    elif not field.required or field.value is MISSING:
        labels.insert(0, NOT_SET)
        values.insert(0, MISSING)
    return labels, values


def _index_of_value(values: list[Any], value: Any) -> int | None:
    for index, option in enumerate(values):
        if option is value or (type(option) is type(value) and option == value):
            return index
    return None


class EnumFactory(WidgetFactory):
    """A drop-down of the allowed values (with a "not set" entry when optional)."""

    handles_null = True

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, EnumField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, EnumField)
        labels, values = _enum_choices(field)
        # Panel's Select maps labels to values; our values may repeat in type-less
        # ways (1 vs True), so it selects by label and we translate.
        widget = pn.widgets.Select(**{LABEL: field.title}, options=labels,
                                   value=labels[_index_of_value(values, field.value) or 0],
                                   description=help_markdown(field), disabled=field.read_only,
                                   sizing_mode="stretch_width")

        def to_widget(value: Any) -> str:
            index = _index_of_value(values, value)
            return labels[index if index is not None else 0]

        renderer.link(field, widget, to_widget=to_widget,
                      from_widget=lambda label: values[labels.index(label)])
        return widget


class RadioFactory(EnumFactory):
    """Radio buttons for a few options or when asked (``x-ui-widget: radio``)."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 20 if isinstance(field, EnumField) and field.as_radio else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, EnumField)
        labels, values = _enum_choices(field)

        def to_widget(value: Any) -> list[int]:
            index = _index_of_value(values, value)
            return [index] if index is not None else []

        widget = OptionGroup(title=field.title, options=labels, selected=to_widget(field.value),
                             help=_plain_help(field), disabled=field.read_only,
                             sizing_mode="stretch_width")
        renderer.link(field, widget, prop="selected", to_widget=to_widget,
                      from_widget=lambda sel: values[sel[0]] if sel else MISSING)
        return widget


class MultiChoiceFactory(WidgetFactory):
    """Checkboxes (or a multi-select for many options) for a set of enum values."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, MultiChoiceField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, MultiChoiceField)
        options = field.options

        def to_widget(value: Any) -> list[int]:
            items = value if isinstance(value, list) else []
            return [i for i, o in enumerate(options) if _index_of_value(items, o) is not None]

        def from_widget(selected: list[int]) -> Any:
            if not selected and not field.required and field.value is MISSING:
                return MISSING
            return [options[i] for i in sorted(selected)]

        widget = OptionGroup(title=field.title, options=field.labels, multiple=True,
                             selected=to_widget(field.value), help=_plain_help(field),
                             disabled=field.read_only, sizing_mode="stretch_width")
        renderer.link(field, widget, prop="selected", to_widget=to_widget,
                      from_widget=from_widget)
        return widget


class ConstFactory(WidgetFactory):
    """The fixed value, shown read-only."""

    handles_null = True

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, ConstField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, ConstField)
        return pn.widgets.StaticText(**{LABEL: field.title}, value=json.dumps(field.const))


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


class NumberRowFactory(WidgetFactory):
    """A short fixed-length list of numbers, or a bounding box, in one row."""

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        return 10 if isinstance(field, NumberRowField) else 0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        assert isinstance(field, NumberRowField)
        size = field.size

        def to_widget(_: Any) -> list[Any]:
            numbers = [_number_or_none(v) for v in field.coordinates[:size]]
            return numbers + [None] * (size - len(numbers))

        row = NumberRow(title=field.title, labels=field.labels, values=to_widget(None),
                        integer=field.integer, help=_plain_help(field),
                        disabled=field.read_only, sizing_mode="stretch_width")
        renderer.link(field, row, prop="values", to_widget=to_widget,
                      from_widget=_setter(field), field_prop="value")
        if isinstance(field, BBoxField) and field.object_form:
            crs = pn.widgets.TextInput(**{LABEL: f"{field.title} CRS"}, value=field.crs or "",
                                       placeholder="http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                                       sizing_mode="stretch_width")
            renderer.link(field, crs, field_prop="crs", to_widget=lambda v: v or "",
                          from_widget=lambda text: text or None)
            return pn.Column(row, crs, margin=0, sizing_mode="stretch_width")
        return row


def _setter(field: NumberRowField) -> Any:
    def from_widget(numbers: list[Any]) -> Any:
        field.set_numbers(list(numbers))
        return field.value
    return from_widget


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
            description=note or None,
            disabled=field.read_only, sizing_mode="stretch_width",
            stylesheets=[".bk-input { font-family: ui-monospace, monospace; }"],
        )
        renderer.link(field, widget, field_prop="text", also=("value_input",))
        return widget

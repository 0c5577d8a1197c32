"""Panel widget tests of the form engine: build views, poke widgets in Python, check the form.

No browser: the widgets' Python-side values are what the browser would sync.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import panel as pn
import pytest

from procdeck.forms import MISSING, InputForm, StringField
from procdeck.gui import InputFormView, WidgetFactory, widget_registry
from procdeck.gui.forms import NativeInput, NumberRow, OptionGroup, WidgetRegistry

DATA = Path(__file__).resolve().parents[1] / "data"


def one(schema: dict, **extra: Any) -> tuple[InputForm, pn.Column]:
    form = InputForm({"id": "p", "inputs": {"x": {"title": "X", "schema": schema, **extra}}})
    return form, InputFormView(form).__panel__()


def walk(obj: Any) -> Iterator[Any]:
    """Every Panel object under ``obj`` (layouts opened up)."""
    yield obj
    for child in getattr(obj, "objects", None) or []:
        yield from walk(child)


def find(root: Any, cls: type, label: str | None = None) -> Any:
    """The single widget of ``cls`` whose label (name / label / title) is ``label``."""
    hits = [
        w for w in walk(root) if isinstance(w, cls)
        and (label is None or label in (getattr(w, "name", None), getattr(w, "label", None),
                                          getattr(w, "title", None)))
    ]
    assert len(hits) == 1, f"{len(hits)} {cls.__name__} labelled {label!r}"
    return hits[0]


def error_text(root: Any) -> str:
    return " ".join(str(p.object) for p in walk(root) if isinstance(p, pn.pane.HTML)
                    and "pd-errors" in str(p.object) and p.visible)


def test_every_description_renders():
    for path in sorted(DATA.glob("*.json")):
        form = InputForm(json.loads(path.read_text()))
        layout = InputFormView(form).__panel__()
        assert isinstance(layout, pn.Column) and layout.objects, path.name


def test_text_input_edits_value_and_shows_errors_next_to_it():
    form, layout = one({"type": "string", "minLength": 3, "description": "Say <b>hi</b>"})
    box = find(layout, pn.widgets.TextInput, "X")
    assert "&lt;b&gt;" in box.description  # help text is escaped, never raw HTML
    assert "A value is required." in error_text(layout)
    box.value_input = "ab"  # typing is validated as it happens
    assert form.value == {"x": "ab"}
    assert "Must have at least 3 character(s)." in error_text(layout)
    box.value = "abc"
    assert form.is_valid and error_text(layout) == ""
    box.value_input = ""
    assert form.value == {} and "A value is required." in error_text(layout)


def test_loading_a_value_fills_the_widgets():
    form = InputForm(json.loads((DATA / "simulate_scene.json").read_text()))
    layout = InputFormView(form).__panel__()
    form.value = {"var_names": "q", "bbox": [1, 2, 3, 4], "start_date": "2024-05-06",
                  "output_path": "/tmp/x"}
    assert find(layout, pn.widgets.TextInput, "Variable names").value == "q"
    assert find(layout, NumberRow, "Bounding box").values == [1, 2, 3, 4]
    assert find(layout, NativeInput, "Start date").value == "2024-05-06"
    assert find(layout, pn.widgets.TextInput, "Output path").value == "/tmp/x"


def test_password_textarea_date_time_widgets():
    form = InputForm({"id": "p", "inputs": {
        "pw": {"title": "Secret", "schema": {"type": "string", "format": "password"}},
        "txt": {"title": "Notes", "schema": {"type": "string", "x-ui-widget": "textarea"}},
        "day": {"title": "Day", "schema": {"type": "string", "format": "date"}},
        "at": {"title": "At", "schema": {"type": "string", "format": "time"}},
        "when": {"title": "When", "schema": {"type": "string", "format": "date-time"}},
        "mail": {"title": "Mail", "schema": {"type": "string", "format": "email"}},
    }})
    layout = InputFormView(form).__panel__()
    find(layout, pn.widgets.PasswordInput, "Secret").value = "s3cret"
    find(layout, pn.widgets.TextAreaInput, "Notes").value = "line 1\nline 2"
    day = find(layout, NativeInput, "Day")
    assert day.input_type == "date"
    day.value = "2025-03-04"
    find(layout, NativeInput, "At").value = "10:20:30"
    when = find(layout, pn.widgets.TextInput, "When")
    assert when.placeholder == "2025-01-31T12:00:00Z"
    when.value = "2025-03-04T10:00:00Z"
    find(layout, pn.widgets.TextInput, "Mail").value = "nope"
    assert form.value == {"pw": "s3cret", "txt": "line 1\nline 2", "day": "2025-03-04",
                          "at": "10:20:30", "when": "2025-03-04T10:00:00Z", "mail": "nope"}
    assert form.errors == {"mail": ["Must be a valid email (for example name@example.org)."]}


def test_number_widgets_use_inclusive_bounds_only():
    form, layout = one({"type": "integer", "minimum": 0, "exclusiveMaximum": 10,
                        "multipleOf": 2, "default": 4})
    box = find(layout, pn.widgets.IntInput, "X")
    assert (box.start, box.end, box.step, box.value) == (0, None, 2, 4)
    box.value = 10
    assert form.errors == {"x": ["Must be less than 10."]}
    box.value = None
    assert form.value == {}
    form.value = {"x": 6}
    assert box.value == 6


def test_slider_when_asked():
    form, layout = one({"type": "number", "minimum": 0, "maximum": 1, "x-ui-widget": "slider"})
    slider = find(layout, pn.widgets.FloatSlider, "X")
    slider.value = 0.25
    assert form.value == {"x": 0.25}


def test_checkbox_enum_select_and_radio():
    form = InputForm({"id": "p", "inputs": {
        "flag": {"title": "Flag", "schema": {"type": "boolean", "default": False}},
        "size": {"title": "Size", "schema": {"enum": ["s", "m", "l", "xl"]}, "minOccurs": 0},
        "mode": {"title": "Mode", "schema": {"enum": ["fast", "slow"], "default": "fast"}},
    }})
    layout = InputFormView(form).__panel__()
    find(layout, NativeInput, "Flag").value = True
    select = find(layout, pn.widgets.Select, "Size")
    assert select.options == ["(not set)", "s", "m", "l", "xl"]
    select.value = "l"
    radio = find(layout, OptionGroup, "Mode")
    assert radio.options == ["fast", "slow"] and radio.selected == [0]
    radio.selected = [1]
    assert form.value == {"flag": True, "size": "l", "mode": "slow"}
    select.value = "(not set)"
    assert "size" not in form.value


def test_multichoice():
    form, layout = one({"type": "array", "uniqueItems": True, "items": {"enum": ["r", "g", "b"]}})
    group = find(layout, OptionGroup, "X")
    assert group.multiple
    group.selected = [2, 0]
    assert form.value == {"x": ["r", "b"]}


def test_const_is_shown_read_only():
    form, layout = one({"const": "v1"})
    assert find(layout, pn.widgets.StaticText, "X").value == '"v1"'
    assert form.value == {"x": "v1"}


def test_file_upload_is_sent_as_base64():
    form, layout = one({"type": "string", "format": "binary"})
    chooser = find(layout, pn.widgets.FileInput, "X")
    chooser.filename = "data.bin"
    chooser.value = b"\x00\x01hello"
    assert form.value == {"x": base64.b64encode(b"\x00\x01hello").decode()}
    assert find(layout, pn.widgets.StaticText, "X content").value == "data.bin: 7 bytes"


def test_bbox_row_checks_corners():
    form, layout = one({"type": "array", "items": {"type": "number"}, "format": "ogc-bbox"})
    row = find(layout, NumberRow, "X")
    assert row.labels == ["West", "South", "East", "North"]
    row.values = [10, 0, 5, 1]
    assert form.value == {"x": [10, 0, 5, 1]}
    assert "West (10) must not be greater than East (5)." in error_text(layout)
    row.values = [1, 0, 5, 1]
    assert form.is_valid and error_text(layout) == ""


def test_bbox_object_with_crs_field():
    form, layout = one({"type": "object", "properties": {
        "bbox": {"type": "array", "items": {"type": "number"}}, "crs": {"type": "string"}}})
    find(layout, NumberRow, "X").values = [0, 0, 1, 1]
    find(layout, pn.widgets.TextInput, "X CRS").value = "EPSG:4326"
    assert form.value == {"x": {"bbox": [0, 0, 1, 1], "crs": "EPSG:4326"}}


def test_fixed_integer_row():
    form, layout = one({"type": "array", "items": {"type": "integer"}, "minItems": 3,
                        "maxItems": 3})
    row = find(layout, NumberRow, "X")
    assert row.integer
    row.values = [1.0, 2.0, 3.0]
    assert form.value == {"x": [1, 2, 3]} and form.is_valid


def test_nested_object_opens_lazily_and_edits_properties():
    form, layout = one({"type": "object", "properties": {"t": {"type": "number"}}},
                       minOccurs=0)
    toggle = find(layout, pn.widgets.Toggle)
    assert toggle.name == "▸ X"
    assert not any(isinstance(w, pn.widgets.FloatInput) for w in walk(layout))
    toggle.value = True
    assert toggle.name == "▾ X"
    box = find(layout, pn.widgets.FloatInput, "t")
    box.value = 2.5
    assert form.value == {"x": {"t": 2.5}}
    toggle.value = False
    assert not find(layout, pn.widgets.Toggle).value
    form.value = {"x": {"t": 7}}
    assert box.value == 7


def test_required_object_starts_open_with_errors_on_properties():
    form = InputForm(json.loads((DATA / "return_base_model.json").read_text()))
    layout = InputFormView(form).__panel__()
    threshold = find(layout, pn.widgets.FloatInput, "Threshold")
    threshold.value = 0.5
    assert form.errors == {"scene_spec.factor": ["A value is required."]}
    assert "A value is required." in error_text(layout)
    find(layout, pn.widgets.FloatInput, "Factor").value = 2
    assert form.is_valid and form.value == {"scene_spec": {"threshold": 0.5, "factor": 2}}


def test_array_editor_add_move_remove():
    form, layout = one({"type": "array", "items": {"type": "string"}, "maxItems": 2})
    add = find(layout, pn.widgets.Button, "Add X item")
    add.clicks += 1
    find(layout, pn.widgets.TextInput, "X 1").value = "a"
    add.clicks += 1
    assert add.disabled  # maxItems reached
    find(layout, pn.widgets.TextInput, "X 2").value = "b"
    assert form.value == {"x": ["a", "b"]}
    ups = [w for w in walk(layout) if isinstance(w, pn.widgets.Button) and w.name == "Up"]
    ups[1].clicks += 1
    assert form.value == {"x": ["b", "a"]}
    removes = [w for w in walk(layout) if isinstance(w, pn.widgets.Button)
               and w.name == "Remove"]
    removes[0].clicks += 1
    assert form.value == {"x": ["a"]} and not add.disabled


def test_array_of_objects_items_are_subforms():
    form, layout = one({"type": "array", "items": {"type": "object", "properties": {
        "n": {"type": "integer"}}}})
    find(layout, pn.widgets.Button, "Add X item").clicks += 1
    toggle = find(layout, pn.widgets.Toggle, "▾ X 1")  # a new item opens at once
    find(layout, pn.widgets.IntInput, "n").value = 3
    toggle.value = False
    assert not toggle.value and form.value == {"x": [{"n": 3}]}
    assert form.value == {"x": [{"n": 3}]}


def test_map_editor():
    form, layout = one({"type": "object", "additionalProperties": {"type": "integer"}})
    find(layout, pn.widgets.Button, "Add X entry").clicks += 1
    key = find(layout, pn.widgets.TextInput, "Key")
    assert "Every entry needs a key." in error_text(layout)
    key.value = "k"
    find(layout, pn.widgets.IntInput, "Value").value = 4
    assert form.value == {"x": {"k": 4}} and form.is_valid


def test_json_editor_for_free_objects():
    form, layout = one({"type": "object"})
    editor = find(layout, pn.widgets.TextAreaInput, "X")
    editor.value_input = '{"a": 1'
    assert "Not valid JSON" in error_text(layout)
    editor.value_input = '{"a": 1}'
    assert form.value == {"x": {"a": 1}} and form.is_valid
    form.value = {"x": {"b": [1]}}
    assert json.loads(editor.value) == {"b": [1]}


def test_unknown_schema_falls_back_to_json_editor_and_says_why():
    form = InputForm({"id": "p", "inputs": {
        "bad": {"title": "Bad", "schema": {"$ref": "#/nowhere"}},
        "ok": {"title": "Ok", "schema": {"type": "integer"}}}})
    layout = InputFormView(form).__panel__()
    assert "Edited as JSON" in find(layout, pn.widgets.TextAreaInput, "Bad").description
    find(layout, pn.widgets.IntInput, "Ok").value = 1
    assert form.value["ok"] == 1


def test_nullable_toggle():
    form = InputForm(json.loads((DATA / "simulate_scene.json").read_text()))
    layout = InputFormView(form).__panel__()
    box = find(layout, pn.widgets.TextInput, "Output path")
    toggles = [w for w in walk(layout) if isinstance(w, NativeInput) and w.label == "No value"]
    assert len(toggles) == 1 and toggles[0].value and box.disabled
    toggles[0].value = False
    assert not box.disabled and form.errors == {"output_path": ["A value is required."]}
    box.value = "/data/out"
    assert form.value["output_path"] == "/data/out"
    toggles[0].value = True
    assert form.value["output_path"] is None and box.disabled
    toggles[0].value = False
    assert form.value["output_path"] == "/data/out"  # the draft comes back


def test_choice_switches_branches_and_keeps_drafts():
    form, layout = one({"oneOf": [{"type": "integer", "title": "Count"},
                                  {"type": "string", "title": "Name"}]})
    picker = find(layout, pn.widgets.Select, "X variant")
    assert picker.options == ["Count", "Name"]
    find(layout, pn.widgets.IntInput, "X").value = 3
    picker.value = "Name"
    find(layout, pn.widgets.TextInput, "X").value = "n"
    assert form.value == {"x": "n"}
    picker.value = "Count"
    assert form.value == {"x": 3}
    form.value = {"x": "loaded"}
    assert picker.value == "Name"


def test_advanced_inputs_are_in_a_collapsed_section_built_on_open():
    form = InputForm(json.loads((DATA / "simulate_scene.json").read_text()))
    view = InputFormView(form)
    layout = view.__panel__()
    toggle = find(layout, pn.widgets.Toggle, "▸ Advanced")
    assert not any(getattr(w, "name", None) == "Spatial resolution" for w in walk(layout))
    toggle.value = True
    find(layout, pn.widgets.FloatInput, "Spatial resolution").value = 0.2
    assert form.value["resolution"] == 0.2


def test_user_factories_win_by_score():
    class ShoutFactory(WidgetFactory):
        def score(self, field, schema):
            return 50 if isinstance(field, StringField) and schema.get("format") == "shout" else 0

        def create(self, field, renderer):
            box = pn.widgets.TextInput(label=field.title.upper())
            renderer.link(field, box, from_widget=lambda v: v.upper() if v else MISSING)
            return box

    registry = widget_registry.copy()
    registry.register(ShoutFactory())
    form = InputForm({"id": "p", "inputs": {"x": {"title": "x", "schema": {
        "type": "string", "format": "shout"}}}})
    layout = InputFormView(form, registry=registry).__panel__()
    find(layout, pn.widgets.TextInput, "X").value = "hey"
    assert form.value == {"x": "HEY"}
    # the shared registry is untouched
    assert not any(isinstance(f, ShoutFactory) for f in widget_registry.factories)


def test_registry_rejects_fields_nobody_fits():
    form = InputForm({"id": "p", "inputs": {"x": {"schema": {"type": "string"}}}})
    with pytest.raises(LookupError):
        WidgetRegistry().best(form.field("x"))


def test_occurrences_list_editor():
    form, layout = one({"type": "integer", "minimum": 0}, minOccurs=0, maxOccurs=3)
    add = find(layout, pn.widgets.Button, "Add X item")
    add.clicks += 1
    find(layout, pn.widgets.IntInput, "X 1").value = -1
    assert form.value == {"x": [-1]}
    assert form.errors == {"x[0]": ["Must be at least 0."]}
    assert "Must be at least 0." in error_text(layout)


def test_nullable_object_section_with_toggle():
    form, layout = one({"type": "object", "nullable": True, "properties": {
        "a": {"type": "integer"}}}, minOccurs=0)
    toggle = find(layout, NativeInput, "No value")
    toggle.value = True
    assert form.value == {"x": None}
    find(layout, pn.widgets.Toggle, "▸ X").value = True
    find(layout, pn.widgets.IntInput, "a").value = 5
    assert form.value == {"x": {"a": 5}} and not toggle.value


def test_recursive_schema_opens_level_by_level():
    form, layout = one({"$defs": {"node": {"type": "object", "properties": {
        "name": {"type": "string"},
        "child": {"$ref": "#/$defs/node"}}}}, "$ref": "#/$defs/node"}, minOccurs=0)
    find(layout, pn.widgets.Toggle, "▸ X").value = True
    find(layout, pn.widgets.Toggle, "▸ child").value = True
    names = [w for w in walk(layout) if isinstance(w, pn.widgets.TextInput) and w.name == "name"]
    assert len(names) == 2
    names[1].value = "inner"
    assert form.value == {"x": {"child": {"name": "inner"}}}
    # the third level is not built until opened
    assert sum(isinstance(w, pn.widgets.Toggle) for w in walk(layout)) == 3


def test_object_with_extra_entries_shows_a_key_value_editor():
    form, layout = one({"type": "object", "properties": {"a": {"type": "integer"}},
                        "additionalProperties": {"type": "string"}})
    find(layout, pn.widgets.Button, "Add X entry").clicks += 1
    find(layout, pn.widgets.TextInput, "Key").value = "tag"
    find(layout, pn.widgets.TextInput, "Value").value = "v"
    find(layout, pn.widgets.IntInput, "a").value = 1
    assert form.value == {"x": {"a": 1, "tag": "v"}}


def test_read_only_fields_are_disabled():
    form, layout = one({"type": "string", "readOnly": True, "default": "fixed"})
    assert find(layout, pn.widgets.TextInput, "X").disabled
    assert form.value == {"x": "fixed"}


def test_choice_of_objects_renders_the_selected_variant_subform():
    form, layout = one({"oneOf": [
        {"title": "Circle", "type": "object", "properties": {"r": {"type": "number"}},
         "required": ["r"]},
        {"title": "Square", "type": "object", "properties": {"side": {"type": "number"}},
         "required": ["side"]}]})
    find(layout, pn.widgets.FloatInput, "r").value = 1
    assert form.value == {"x": {"r": 1}}
    find(layout, pn.widgets.Select, "X variant").value = "Square"
    find(layout, pn.widgets.FloatInput, "side").value = 2
    assert form.value == {"x": {"side": 2}} and form.is_valid
    form.value = {"x": {"r": 3}}
    assert find(layout, pn.widgets.FloatInput, "r").value == 3

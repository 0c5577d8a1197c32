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
from procdeck.gui.forms import FieldGroup, NativeInput, NumberRow, WidgetRegistry

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
    """Every error message shown: below widgets and inside field groups."""
    panes = [str(p.object) for p in walk(root) if isinstance(p, pn.pane.HTML)
             and "pd-errors" in str(p.object) and p.visible]
    inline = [m for g in walk(root) if isinstance(g, FieldGroup)
              for messages in g.errors.values() for m in messages]
    return " ".join(panes + inline)


def group_of(root: Any, label: str) -> FieldGroup:
    """The field group drawing the field labelled ``label``."""
    hits = [g for g in walk(root) if isinstance(g, FieldGroup)
            and any(spec["label"] == label for spec in g.fields)]
    assert len(hits) == 1, f"{len(hits)} groups with a field labelled {label!r}"
    return hits[0]


def spec(root: Any, label: str) -> dict:
    group = group_of(root, label)
    return next(s for s in group.fields if s["id"] == group.field_id(label))


def enter(root: Any, label: str, shown: Any) -> None:
    """What the browser sends when the user sets the control labelled ``label``."""
    group_of(root, label).enter(label, shown)


def shown(root: Any, label: str) -> Any:
    """What the control labelled ``label`` shows."""
    group = group_of(root, label)
    return group.values.get(group.field_id(label))


def field_errors(root: Any, label: str) -> list[str]:
    group = group_of(root, label)
    return group.errors.get(group.field_id(label), [])


def test_every_description_renders():
    for path in sorted(DATA.glob("*.json")):
        form = InputForm(json.loads(path.read_text()))
        layout = InputFormView(form).__panel__()
        assert isinstance(layout, pn.Column) and layout.objects, path.name


def test_text_input_edits_value_and_shows_errors_next_to_it():
    form, layout = one({"type": "string", "minLength": 3, "description": "Say <b>hi</b>"})
    assert spec(layout, "X")["control"] == "text"
    assert spec(layout, "X")["help"] == "Say <b>hi</b>"  # drawn as text, never as HTML
    assert field_errors(layout, "X") == ["A value is required."]
    enter(layout, "X", "ab")  # sent while typing: validated as it happens
    assert form.value == {"x": "ab"}
    assert field_errors(layout, "X") == ["Must have at least 3 character(s)."]
    enter(layout, "X", "abc")
    assert form.is_valid and error_text(layout) == ""
    enter(layout, "X", "")
    assert form.value == {} and field_errors(layout, "X") == ["A value is required."]


def test_simple_fields_share_one_group_and_others_split_it():
    form = InputForm({"id": "p", "inputs": {
        "a": {"title": "A", "schema": {"type": "string"}},
        "b": {"title": "B", "schema": {"type": "integer"}},
        "c": {"title": "C", "schema": {"type": "object"}},
        "d": {"title": "D", "schema": {"type": "boolean"}},
    }})
    layout = InputFormView(form).__panel__()
    assert group_of(layout, "A") is group_of(layout, "B")
    assert group_of(layout, "D") is not group_of(layout, "A")
    assert isinstance(layout.objects[1], pn.widgets.TextAreaInput)  # the JSON editor of C


def test_loading_a_value_fills_the_widgets():
    form = InputForm(json.loads((DATA / "simulate_scene.json").read_text()))
    layout = InputFormView(form).__panel__()
    form.value = {"var_names": "q", "bbox": [1, 2, 3, 4], "start_date": "2024-05-06",
                  "output_path": "/tmp/x"}
    assert shown(layout, "Variable names") == "q"
    assert shown(layout, "Bounding box") == [1, 2, 3, 4]
    assert shown(layout, "Start date") == "2024-05-06"
    assert shown(layout, "Output path") == "/tmp/x"
    group = group_of(layout, "Output path")
    assert group.nulls[group.field_id("Output path")] is False


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
    controls = {label: spec(layout, label)["control"]
                for label in ("Secret", "Notes", "Day", "At", "When", "Mail")}
    assert controls == {"Secret": "password", "Notes": "textarea", "Day": "date",
                        "At": "time", "When": "text", "Mail": "text"}
    assert spec(layout, "When")["attrs"]["placeholder"] == "2025-01-31T12:00:00Z"
    enter(layout, "Secret", "s3cret")
    enter(layout, "Notes", "line 1\nline 2")
    enter(layout, "Day", "2025-03-04")
    enter(layout, "At", "10:20:30")
    enter(layout, "When", "2025-03-04T10:00:00Z")
    enter(layout, "Mail", "nope")
    assert form.value == {"pw": "s3cret", "txt": "line 1\nline 2", "day": "2025-03-04",
                          "at": "10:20:30", "when": "2025-03-04T10:00:00Z", "mail": "nope"}
    assert form.errors == {"mail": ["Must be a valid email (for example name@example.org)."]}


def test_number_widgets_use_inclusive_bounds_only():
    form, layout = one({"type": "integer", "minimum": 0, "exclusiveMaximum": 10,
                        "multipleOf": 2, "default": 4})
    attrs = spec(layout, "X")["attrs"]
    assert (attrs["min"], attrs["max"], attrs["step"]) == (0, None, 2)
    assert shown(layout, "X") == 4
    enter(layout, "X", 10)
    assert form.errors == {"x": ["Must be less than 10."]}
    assert field_errors(layout, "X") == ["Must be less than 10."]
    enter(layout, "X", 8.0)  # browsers send numbers as floats
    assert form.value == {"x": 8} and isinstance(form.value["x"], int)
    enter(layout, "X", None)
    assert form.value == {}
    form.value = {"x": 6}
    assert shown(layout, "X") == 6


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
    assert spec(layout, "Flag")["control"] == "checkbox"
    enter(layout, "Flag", True)
    size = spec(layout, "Size")
    assert size["control"] == "select"
    assert size["attrs"]["options"] == ["(not set)", "s", "m", "l", "xl"]
    enter(layout, "Size", 3)
    mode = spec(layout, "Mode")
    assert mode["control"] == "radio" and mode["attrs"]["options"] == ["fast", "slow"]
    assert shown(layout, "Mode") == 0
    enter(layout, "Mode", 1)
    assert form.value == {"flag": True, "size": "l", "mode": "slow"}
    enter(layout, "Size", 0)
    assert "size" not in form.value
    form.value = {"size": "xl"}
    assert shown(layout, "Size") == 4 and shown(layout, "Flag") is False


def test_multichoice():
    form, layout = one({"type": "array", "uniqueItems": True, "items": {"enum": ["r", "g", "b"]}})
    assert spec(layout, "X")["control"] == "checkboxes"
    enter(layout, "X", [2, 0])
    assert form.value == {"x": ["r", "b"]}


def test_const_is_shown_read_only():
    form, layout = one({"const": "v1"})
    assert spec(layout, "X")["control"] == "static"
    assert shown(layout, "X") == '"v1"'
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
    assert spec(layout, "X")["attrs"]["labels"] == ["West", "South", "East", "North"]
    enter(layout, "X", [10, 0, 5, 1])
    assert form.value == {"x": [10, 0, 5, 1]}
    assert field_errors(layout, "X") == ["West (10) must not be greater than East (5)."]
    enter(layout, "X", [1, 0, 5, 1])
    assert form.is_valid and error_text(layout) == ""
    enter(layout, "X", [None, None, None, None])
    assert form.errors == {"x": ["A value is required."]}


def test_bbox_object_with_crs_field():
    form, layout = one({"type": "object", "properties": {
        "bbox": {"type": "array", "items": {"type": "number"}}, "crs": {"type": "string"}}})
    find(layout, NumberRow, "X").values = [0, 0, 1, 1]
    find(layout, pn.widgets.TextInput, "X CRS").value = "EPSG:4326"
    assert form.value == {"x": {"bbox": [0, 0, 1, 1], "crs": "EPSG:4326"}}


def test_fixed_integer_row():
    form, layout = one({"type": "array", "items": {"type": "integer"}, "minItems": 3,
                        "maxItems": 3})
    assert spec(layout, "X")["attrs"]["integer"]
    enter(layout, "X", [1.0, 2.0, 3.0])
    assert form.value == {"x": [1, 2, 3]} and form.is_valid


def test_nested_object_opens_lazily_and_edits_properties():
    form, layout = one({"type": "object", "properties": {"t": {"type": "number"}}},
                       minOccurs=0)
    toggle = find(layout, pn.widgets.Toggle)
    assert toggle.name == "▸ X"
    assert not any(isinstance(w, FieldGroup) for w in walk(layout))
    toggle.value = True
    assert toggle.name == "▾ X"
    enter(layout, "t", 2.5)
    assert form.value == {"x": {"t": 2.5}}
    toggle.value = False
    assert not find(layout, pn.widgets.Toggle).value
    form.value = {"x": {"t": 7}}
    assert shown(layout, "t") == 7


def test_required_object_starts_open_with_errors_on_properties():
    form = InputForm(json.loads((DATA / "return_base_model.json").read_text()))
    layout = InputFormView(form).__panel__()
    enter(layout, "Threshold", 0.5)
    assert form.errors == {"scene_spec.factor": ["A value is required."]}
    assert field_errors(layout, "Factor") == ["A value is required."]
    enter(layout, "Factor", 2)
    assert form.is_valid and form.value == {"scene_spec": {"threshold": 0.5, "factor": 2}}


def test_array_editor_add_move_remove():
    form, layout = one({"type": "array", "items": {"type": "string"}, "maxItems": 2})
    add = find(layout, pn.widgets.Button, "Add X item")
    add.clicks += 1
    enter(layout, "X 1", "a")
    add.clicks += 1
    assert add.disabled  # maxItems reached
    enter(layout, "X 2", "b")
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
    enter(layout, "n", 3)
    toggle.value = False
    assert not toggle.value and form.value == {"x": [{"n": 3}]}
    assert form.value == {"x": [{"n": 3}]}


def test_map_editor():
    form, layout = one({"type": "object", "additionalProperties": {"type": "integer"}})
    find(layout, pn.widgets.Button, "Add X entry").clicks += 1
    key = find(layout, pn.widgets.TextInput, "Key")
    assert "Every entry needs a key." in error_text(layout)
    key.value = "k"
    enter(layout, "Value", 4)
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
    enter(layout, "Ok", 1)
    assert form.value["ok"] == 1


def test_nullable_toggle():
    form = InputForm(json.loads((DATA / "simulate_scene.json").read_text()))
    layout = InputFormView(form).__panel__()
    group = group_of(layout, "Output path")
    fid = group.field_id("Output path")
    assert spec(layout, "Output path")["nullable"] and group.nulls[fid]
    group.set_null("Output path", False)
    assert form.errors == {"output_path": ["A value is required."]}
    enter(layout, "Output path", "/data/out")
    assert form.value["output_path"] == "/data/out" and not group.nulls[fid]
    group.set_null("Output path", True)
    assert form.value["output_path"] is None
    group.set_null("Output path", False)
    assert form.value["output_path"] == "/data/out"  # the draft comes back
    form.value = {**form.value, "output_path": None}
    assert group.nulls[fid]


def test_choice_switches_branches_and_keeps_drafts():
    form, layout = one({"oneOf": [{"type": "integer", "title": "Count"},
                                  {"type": "string", "title": "Name"}]})
    picker = find(layout, pn.widgets.Select, "X variant")
    assert picker.options == ["Count", "Name"]
    enter(layout, "X", 3)
    picker.value = "Name"
    assert spec(layout, "X")["control"] == "text"  # only the selected variant is shown
    enter(layout, "X", "n")
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
    enter(layout, "Spatial resolution", 0.2)
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
    enter(layout, "X 1", -1)
    assert form.value == {"x": [-1]}
    assert form.errors == {"x[0]": ["Must be at least 0."]}
    assert field_errors(layout, "X 1") == ["Must be at least 0."]


def test_nullable_object_section_with_toggle():
    form, layout = one({"type": "object", "nullable": True, "properties": {
        "a": {"type": "integer"}}}, minOccurs=0)
    toggle = find(layout, NativeInput, "No value")
    toggle.value = True
    assert form.value == {"x": None}
    find(layout, pn.widgets.Toggle, "▸ X").value = True
    enter(layout, "a", 5)
    assert form.value == {"x": {"a": 5}} and not toggle.value


def test_recursive_schema_opens_level_by_level():
    form, layout = one({"$defs": {"node": {"type": "object", "properties": {
        "name": {"type": "string"},
        "child": {"$ref": "#/$defs/node"}}}}, "$ref": "#/$defs/node"}, minOccurs=0)
    find(layout, pn.widgets.Toggle, "▸ X").value = True
    find(layout, pn.widgets.Toggle, "▸ child").value = True
    groups = [g for g in walk(layout) if isinstance(g, FieldGroup)]
    assert len(groups) == 2
    groups[1].enter("name", "inner")
    assert form.value == {"x": {"child": {"name": "inner"}}}
    # the third level is not built until opened
    assert sum(isinstance(w, pn.widgets.Toggle) for w in walk(layout)) == 3


def test_object_with_extra_entries_shows_a_key_value_editor():
    form, layout = one({"type": "object", "properties": {"a": {"type": "integer"}},
                        "additionalProperties": {"type": "string"}})
    find(layout, pn.widgets.Button, "Add X entry").clicks += 1
    find(layout, pn.widgets.TextInput, "Key").value = "tag"
    enter(layout, "Value", "v")
    enter(layout, "a", 1)
    assert form.value == {"x": {"a": 1, "tag": "v"}}


def test_read_only_fields_are_disabled():
    form, layout = one({"type": "string", "readOnly": True, "default": "fixed"})
    assert spec(layout, "X")["disabled"]
    assert form.value == {"x": "fixed"}


def test_choice_of_objects_renders_the_selected_variant_subform():
    form, layout = one({"oneOf": [
        {"title": "Circle", "type": "object", "properties": {"r": {"type": "number"}},
         "required": ["r"]},
        {"title": "Square", "type": "object", "properties": {"side": {"type": "number"}},
         "required": ["side"]}]})
    enter(layout, "r", 1)
    assert form.value == {"x": {"r": 1}}
    find(layout, pn.widgets.Select, "X variant").value = "Square"
    enter(layout, "side", 2)
    assert form.value == {"x": {"side": 2}} and form.is_valid
    form.value = {"x": {"r": 3}}
    assert shown(layout, "r") == 3


def test_stale_browser_copy_does_not_undo_a_python_change():
    form = InputForm({"id": "p", "inputs": {
        "a": {"title": "A", "schema": {"type": "string"}},
        "b": {"title": "B", "schema": {"type": "string"}}}})
    layout = InputFormView(form).__panel__()
    group = group_of(layout, "A")
    a, b = group.field_id("A"), group.field_id("B")
    enter(layout, "B", "typed")
    stale = dict(group.values)
    form.field("b").value = "loaded"  # pushed to the browser ...
    # ... which, before receiving it, reports an edit of A with its old copy of B
    group.values = {**stale, a: "x"}
    assert form.value == {"a": "x", "b": "loaded"}
    # once the browser has our value, a real edit of B back to the old text counts
    group.values = {**group.values, b: "loaded"}
    group.values = {**group.values, b: "typed"}
    assert form.value["b"] == "typed"


def test_big_form_draws_simple_inputs_in_few_components():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from make_big_schema import big

    form = InputForm(big(200))
    layout = InputFormView(form).__panel__()
    objects = list(walk(layout))
    groups = [o for o in objects if isinstance(o, FieldGroup)]
    # 175 simple inputs share the groups between the 25 (closed) object sections
    assert sum(len(g.fields) for g in groups) == 175
    assert len(groups) <= 26
    assert not any(isinstance(o, pn.widgets.TextInput | pn.widgets.FloatInput) for o in objects)
    enter(layout, "Input 193", 5)  # an integer near the end is live
    assert form.value["in_193"] == 5


def test_a_browser_edit_is_not_sent_back_and_a_python_change_is_sent_once():
    form, layout = one({"type": "string"})
    group = group_of(layout, "X")
    fid = group.field_id("X")
    sent: list[Any] = []
    group.param.watch(lambda event: sent.append(event.new.get(fid)), "values")
    enter(layout, "X", "ab")  # the browser's own write is the only one
    assert sent == ["ab"] and form.value == {"x": "ab"}
    form.field("x").value = "abc"
    assert sent == ["ab", "abc"]


def test_typed_json_is_not_rewritten_and_a_loaded_value_is_shown_once():
    form, layout = one({"type": "object"})
    editor = find(layout, pn.widgets.TextAreaInput, "X")
    seen: list[tuple[str, str]] = []
    editor.param.watch(lambda *events: seen.extend((e.name, e.new) for e in events),
                       ["value", "value_input"])
    editor.value_input = '{"a":1}'
    assert seen == [("value_input", '{"a":1}')] and form.value == {"x": {"a": 1}}
    form.value = {"x": [1]}
    text = json.dumps([1], indent=2)
    assert sorted(seen[1:]) == [("value", text), ("value_input", text)]


def test_no_value_unchecked_and_typed_into_in_one_message_keeps_the_typed_text():
    # the browser batches the unchecked "No value" box with the first key typed
    form = InputForm(json.loads((DATA / "simulate_scene.json").read_text()))
    layout = InputFormView(form).__panel__()
    group = group_of(layout, "Output path")
    fid = group.field_id("Output path")
    pushed: list[Any] = []
    group.param.watch(lambda event: pushed.append(event.new.get(fid)), "values")
    group.param.update(nulls={**group.nulls, fid: False}, values={**group.values, fid: "/"})
    assert form.value["output_path"] == "/"
    assert pushed == ["/"]  # the browser's own message; no draft pushed back over it
    group.values = {**group.values, fid: "/tmp/out"}
    assert form.value["output_path"] == "/tmp/out" and not group.nulls[fid]

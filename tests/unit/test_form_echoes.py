"""Each change of the form engine is announced once: no echo, no ping-pong (no Panel)."""

from __future__ import annotations

import json
from typing import Any

import param
import pytest

from procdeck._util.reentry import Reentry
from procdeck.forms import MISSING, ArrayField, BBoxField, ChoiceField, InputForm, JsonField

OBJECT = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
}
BBOX_OBJECT = {
    "type": "object",
    "required": ["bbox"],
    "properties": {
        "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
        "crs": {"type": "string", "format": "uri"},
    },
}
CHOICE = {
    "oneOf": [
        {"type": "object", "title": "Circle", "properties": {"r": {"type": "number"}},
         "required": ["r"]},
        {"type": "object", "title": "Rect", "required": ["w", "h"],
         "properties": {"w": {"type": "number"}, "h": {"type": "number"}}},
    ]
}
CRS84 = "urn:ogc:def:crs:OGC:1.3:CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"


def one(schema: dict[str, Any]) -> InputForm:
    """A form with one input ``x`` of the given schema."""
    return InputForm({"id": "p", "inputs": {"x": {"title": "X", "schema": schema}}})


def record(obj: param.Parameterized, *names: str) -> dict[str, list[Any]]:
    """The new values of each named parameter, as an outside watcher sees them."""
    seen: dict[str, list[Any]] = {name: [] for name in names}

    def on_event(*events: param.parameterized.Event) -> None:
        for event in events:
            seen[event.name].append(event.new)

    obj.param.watch(on_event, list(names))
    return seen


def test_reentry_is_held_inside_nested_blocks_until_the_outer_one_ends() -> None:
    guard = Reentry()
    assert not guard
    with guard:
        with guard:
            assert guard
        assert guard  # the inner block ending leaves the outer one held
    assert not guard
    with pytest.raises(RuntimeError), guard:
        raise RuntimeError
    assert not guard


def test_loading_an_object_announces_one_value_to_outside_watchers() -> None:
    form = one(OBJECT)
    field = form.field("x")
    field.build()
    child = field.field("a")
    on_field, on_child, on_form = record(field, "value"), record(child, "value"), record(
        form, "value")
    form.value = {"x": {"a": 1, "b": "q"}}
    assert on_form["value"] == [{"x": {"a": 1, "b": "q"}}]
    assert on_field["value"] == [{"a": 1, "b": "q"}]
    assert on_child["value"] == [1]  # the page still hears what the child now holds


def test_a_child_edit_is_collected_once_up_to_the_form() -> None:
    form = one(OBJECT)
    field = form.field("x")
    on_field, on_form = record(field, "value"), record(form, "value")
    field.field("a").value = 7
    assert on_field["value"] == [{"a": 7}]
    assert on_form["value"] == [{"x": {"a": 7}}]


def test_removing_an_item_announces_the_shorter_list_once() -> None:
    form = one({"type": "array", "items": {"type": "integer"}})
    field = form.field("x")
    assert isinstance(field, ArrayField)
    form.value = {"x": [1, 2, 3]}
    on_field, on_form = record(field, "value"), record(form, "value")
    field.remove(1)
    assert on_field["value"] == [[1, 3]]
    assert on_form["value"] == [{"x": [1, 3]}]


def test_loading_a_value_of_another_branch_switches_once_without_the_old_draft() -> None:
    form = one(CHOICE)
    field = form.field("x")
    assert isinstance(field, ChoiceField)
    field.branch_field().field("r").value = 3
    seen = record(field, "value", "branch")
    on_form = record(form, "value")
    form.value = {"x": {"w": 1, "h": 2}}
    assert seen == {"value": [{"w": 1, "h": 2}], "branch": [1]}
    assert on_form["value"] == [{"x": {"w": 1, "h": 2}}]
    field.branch = 0  # picked by the person: the Circle draft comes back
    assert seen["value"][-1] == {"r": 3} and form.value == {"x": {"r": 3}}


def test_a_loaded_bbox_sets_its_crs_once_and_the_crs_is_not_written_back() -> None:
    form = one(BBOX_OBJECT)
    field = form.field("x")
    assert isinstance(field, BBoxField) and field.object_form
    seen = record(field, "value", "crs")
    form.value = {"x": {"bbox": [1, 2, 3, 4], "crs": EPSG4326}}
    assert seen == {"value": [{"bbox": [1, 2, 3, 4], "crs": EPSG4326}], "crs": [EPSG4326]}


def test_a_crs_picked_by_the_person_changes_the_value_once() -> None:
    form = one(BBOX_OBJECT)
    field = form.field("x")
    form.value = {"x": {"bbox": [1, 2, 3, 4], "crs": EPSG4326}}
    seen = record(field, "value", "crs")
    field.crs = CRS84
    assert seen == {"value": [{"bbox": [1, 2, 3, 4], "crs": CRS84}], "crs": [CRS84]}
    field.crs = None
    assert seen["value"][-1] == {"bbox": [1, 2, 3, 4]} and seen["crs"][-1] is None
    assert form.value == {"x": {"bbox": [1, 2, 3, 4]}}


def test_a_bbox_value_naming_no_text_crs_clears_the_crs_without_a_second_value() -> None:
    form = one(BBOX_OBJECT)
    field = form.field("x")
    field.crs = CRS84
    seen = record(field, "value", "crs")
    form.value = {"x": {"bbox": [1, 2, 3, 4], "crs": 5}}
    assert seen == {"value": [{"bbox": [1, 2, 3, 4], "crs": 5}], "crs": [None]}


def test_a_crs_picked_while_the_bbox_is_empty_starts_the_object() -> None:
    form = one(BBOX_OBJECT)
    field = form.field("x")
    field.crs = CRS84
    assert field.value == {"bbox": [], "crs": CRS84}


def test_typed_json_is_taken_as_typed_and_a_loaded_value_rewrites_the_text_once() -> None:
    form = one({})
    field = form.field("x")
    assert isinstance(field, JsonField)
    seen = record(field, "value", "text")
    field.text = '{"a":1}'
    assert seen == {"value": [{"a": 1}], "text": ['{"a":1}']}  # not reformatted while typing
    form.value = {"x": [1, 2]}
    assert seen["value"][-1] == [1, 2]
    assert seen["text"][1:] == [json.dumps([1, 2], indent=2)]


def test_invalid_json_leaves_no_value_and_clearing_it_drops_the_error() -> None:
    form = one({})
    field = form.field("x")
    field.text = "{oops"
    assert field.value is MISSING and form.errors["x"][0].startswith("Not valid JSON")
    field.text = ""
    assert field.value is MISSING and "x" not in form.value and not field.own_errors()


def test_reset_announces_the_defaults_once() -> None:
    form = InputForm({"id": "p", "inputs": {
        "a": {"schema": {"type": "integer", "default": 1}},
        "b": {"schema": {"type": "string", "default": "s"}},
    }})
    form.value = {"a": 2, "b": "t"}
    seen = record(form, "value")
    form.reset()
    assert seen["value"] == [{"a": 1, "b": "s"}]

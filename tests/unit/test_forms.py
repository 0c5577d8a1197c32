"""View-model tests of the form engine: one group per schema construct (no Panel)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from jsonschema.validators import Draft202012Validator

from procdeck.forms import (
    MISSING,
    ArrayField,
    BBoxField,
    BinaryField,
    BooleanField,
    ChoiceField,
    ConstField,
    EnumField,
    InputForm,
    JsonField,
    MapField,
    MultiChoiceField,
    NumberField,
    NumberRowField,
    ObjectField,
    StringField,
    translate,
)
from procdeck.models import ProcessDescription

DATA = Path(__file__).resolve().parents[1] / "data"
# the peer server's descriptions, shared beside the repository (same files as tests/data)
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "process-descriptions"
DESCRIPTIONS = sorted(DATA.glob("*.json")) + sorted(SHARED.glob("*.json"))


def one(schema: dict, **input_extra) -> InputForm:
    """A form with one input ``x`` of the given schema."""
    return InputForm({"id": "p", "inputs": {"x": {"title": "X", "schema": schema, **input_extra}}})


# -- descriptions shipped with the tests -------------------------------------------------
@pytest.mark.parametrize("path", DESCRIPTIONS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_description_builds_a_form_whose_default_value_its_schemas_accept(path):
    description = json.loads(path.read_text())
    form = InputForm(description)
    assert [f.key for f in form.fields]  # every input has a field
    for name, value in form.value.items():
        schema = translate(description["inputs"][name]["schema"])
        Draft202012Validator(schema).validate(value)
    for name, spec in description["inputs"].items():
        has_default = "default" in spec["schema"] or spec["schema"].get("nullable")
        if (
            spec.get("minOccurs", 1) >= 1
            and not has_default
            and spec["schema"].get("type") != "object"
        ):
            assert form.errors[name] == ["A value is required."]
    assert form.is_valid == (not form.errors)


def test_accepts_a_process_description_model():
    description = ProcessDescription.model_validate_json((DATA / "sleep_a_while.json").read_text())
    form = InputForm(description)
    assert form.value == {"duration": 10.0, "fail": False}
    assert form.is_valid


def test_simulate_scene_form_orders_hints_and_advanced():
    form = InputForm(json.loads((DATA / "simulate_scene.json").read_text()))
    assert [f.key for f in form.advanced_fields] == ["resolution", "periodicity"]
    assert "resolution" not in [f.key for f in form.basic_fields]
    assert isinstance(form.field("bbox"), BBoxField)
    assert form.value["output_path"] is None  # required but nullable: null is a value


def test_x_ui_order_sorts_inputs():
    form = InputForm(json.loads((DATA / "218.json").read_text()))
    assert [f.key for f in form.fields] == [
        "start_date",
        "end_date",
        "geometry",
        "indicator_name",
        "site_extend",
    ]
    assert form.field("indicator_name").advanced
    assert form.field("indicator_name").as_radio


# -- strings ---------------------------------------------------------------------------
def test_string_bounds_and_pattern():
    form = one({"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"})
    field = form.field("x")
    assert isinstance(field, StringField)
    field.value = "a"
    assert form.errors == {"x": ["Must have at least 2 character(s)."]}
    field.value = "abcde"
    assert form.errors == {"x": ["Must have at most 4 character(s)."]}
    field.value = "AB"
    assert form.errors == {"x": ["Must match the pattern ^[a-z]+$."]}
    field.value = "abc"
    assert form.is_valid and form.value == {"x": "abc"}


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("date", "2025-02-28", "2025-02-30"),
        ("date-time", "2025-02-28T10:00:00Z", "2025-02-28 10:00"),
        ("time", "10:30:00", "25:00"),
        ("email", "a@b.org", "not an email"),
        ("uri", "https://example.org/x", "example dot org"),
    ],
)
def test_string_formats_are_checked(fmt, good, bad):
    form = one({"type": "string", "format": fmt})
    form.value = {"x": good}
    assert form.is_valid, form.errors
    form.value = {"x": bad}
    assert form.errors["x"][0].startswith(f"Must be a valid {fmt}")
    assert form.field("x").placeholder  # an example of the format shows as placeholder


def test_password_and_textarea_hints():
    assert one({"type": "string", "format": "password"}).field("x").is_secret
    assert one({"type": "string", "writeOnly": True}).field("x").is_secret
    assert one({"type": "string", "x-ui-widget": "textarea"}).field("x").is_long_text


def test_binary_is_sent_as_base64():
    form = one({"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"})
    field = form.field("x")
    assert isinstance(field, BinaryField)
    assert field.media_type == "image/png"
    field.set_bytes(b"\x89PNG\x00", filename="a.png")
    assert form.value == {"x": "iVBORwA="}
    assert field.filename == "a.png"
    assert isinstance(one({"type": "string", "format": "binary"}).field("x"), BinaryField)


# -- numbers ---------------------------------------------------------------------------
def test_number_bounds_and_multiple_of():
    form = one({"type": "number", "minimum": 0, "maximum": 10, "multipleOf": 0.5})
    field = form.field("x")
    assert isinstance(field, NumberField) and not field.integer
    assert field.bounds == (0, 10) and field.step == 0.5
    field.value = 11
    assert form.errors == {"x": ["Must be at most 10."]}
    field.value = 1.25
    assert form.errors == {"x": ["Must be a multiple of 0.5."]}
    field.value = 2.5
    assert form.is_valid


def test_openapi_boolean_exclusive_bounds():
    form = one(
        {
            "type": "integer",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 5,
            "exclusiveMaximum": True,
        }
    )
    assert form.field("x").integer
    form.value = {"x": 0}
    assert form.errors == {"x": ["Must be greater than 0."]}
    form.value = {"x": 5}
    assert form.errors == {"x": ["Must be less than 5."]}
    form.value = {"x": 4}
    assert form.is_valid


def test_json_schema_numeric_exclusive_bounds():
    form = one({"type": "number", "exclusiveMinimum": 1.5})
    assert form.field("x").bounds == (1.5, None)
    form.value = {"x": 1.5}
    assert form.errors == {"x": ["Must be greater than 1.5."]}


def test_integer_rejects_fractions_and_text():
    form = one({"type": "integer"})
    form.value = {"x": 1.5}
    assert form.errors == {"x": ["Must be a whole number."]}
    form.value = {"x": "3"}
    assert form.errors == {"x": ["Must be a whole number."]}


# -- booleans, enums, const ------------------------------------------------------------
def test_boolean():
    form = one({"type": "boolean", "default": True})
    assert isinstance(form.field("x"), BooleanField)
    assert form.value == {"x": True}
    form.field("x").value = False
    assert form.value == {"x": False}


def test_enum_select_and_radio():
    many = one({"type": "string", "enum": ["a", "b", "c", "d"]})
    field = many.field("x")
    assert isinstance(field, EnumField) and not field.as_radio
    assert field.options == ["a", "b", "c", "d"]
    field.value = "e"
    assert many.errors == {"x": ["Must be one of: a, b, c, d."]}
    few = one({"type": "integer", "enum": [1, 2]})
    assert few.field("x").as_radio and few.field("x").labels == ["1", "2"]


def test_oneof_of_consts_is_an_enum_with_labels():
    form = one({"oneOf": [{"const": "lo", "title": "Low"}, {"const": "hi", "title": "High"}]})
    field = form.field("x")
    assert isinstance(field, EnumField)
    assert field.options == ["lo", "hi"] and field.labels == ["Low", "High"]


def test_const_is_fixed_and_sent():
    form = one({"const": "v1"})
    assert isinstance(form.field("x"), ConstField)
    assert form.value == {"x": "v1"}
    form.value = {"x": "v2"}
    assert form.errors == {"x": ["Must be v1."]}


# -- arrays ----------------------------------------------------------------------------
def test_array_add_remove_move_with_bounds():
    form = one(
        {"type": "array", "items": {"type": "integer", "default": 7}, "minItems": 1, "maxItems": 3}
    )
    field = form.field("x")
    assert isinstance(field, ArrayField)
    assert form.value == {"x": [7]}  # required: starts with minItems default items
    field.add(1)
    field.add(2)
    assert form.value == {"x": [7, 1, 2]} and not field.can_add
    field.move(2, 0)
    assert form.value == {"x": [2, 7, 1]}
    assert [item.path for item in field.items] == ["x[0]", "x[1]", "x[2]"]
    field.remove(1)
    field.remove(0)
    assert form.value == {"x": [1]} and not field.can_remove
    field.items[0].value = "no"
    assert form.errors == {"x[0]": ["Must be a whole number."]}
    assert field.items[0].errors == ["Must be a whole number."]
    field.remove(0)
    assert form.errors == {"x": ["Needs at least 1 item(s)."]}


def test_array_item_errors_route_to_items():
    form = one({"type": "array", "items": {"type": "number", "maximum": 1}})
    form.value = {"x": [0, 5]}
    assert form.errors == {"x[1]": ["Must be at most 1."]}
    assert form.field("x").items[1].errors == ["Must be at most 1."]
    assert form.field("x").items[0].errors == []


def test_unique_enum_array_is_a_multichoice():
    form = one({"type": "array", "uniqueItems": True, "items": {"enum": ["r", "g", "b"]}})
    field = form.field("x")
    assert isinstance(field, MultiChoiceField) and field.options == ["r", "g", "b"]
    field.value = ["r", "r"]
    assert form.errors == {"x": ["Items must be unique."]}


def test_short_fixed_numeric_array_is_one_row():
    form = one({"type": "array", "items": {"type": "integer"}, "minItems": 3, "maxItems": 3})
    field = form.field("x")
    assert isinstance(field, NumberRowField) and field.size == 3 and field.integer
    field.set_item(1, 5)
    assert form.value == {"x": [None, 5, None]}
    assert set(form.errors) == {"x[0]", "x[2]"}
    field.set_item(0, 1)
    field.set_item(2, 2)
    assert form.value == {"x": [1, 5, 2]} and form.is_valid


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "array", "items": {"type": "number"}, "format": "ogc-bbox"},
        {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 4,
            "maxItems": 4,
            "x-ui-widget": "map",
        },
    ],
)
def test_bbox_checks_corner_order(schema):
    form = one(schema)
    field = form.field("x")
    assert isinstance(field, BBoxField) and field.labels == ["West", "South", "East", "North"]
    form.value = {"x": [10, 50, 0, 40]}
    assert form.errors == {
        "x": [
            "West (10) must not be greater than East (0).",
            "South (50) must not be greater than North (40).",
        ]
    }
    field.set_item(2, 20)
    field.set_item(3, 60)
    assert form.value == {"x": [10, 50, 20, 60]} and form.is_valid


def test_bbox_3d():
    form = one(
        {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 6,
            "maxItems": 6,
            "format": "ogc-bbox",
        }
    )
    field = form.field("x")
    assert field.size == 6 and field.labels[2] == "Bottom"
    form.value = {"x": [0, 0, 10, 1, 1, 5]}
    assert form.errors == {"x": ["Bottom (10) must not be greater than Top (5)."]}


def test_ogc_bbox_object_with_crs():
    form = one(
        {
            "type": "object",
            "required": ["bbox"],
            "properties": {
                "bbox": {
                    "type": "array",
                    "items": {"type": "number"},
                    "minItems": 4,
                    "maxItems": 4,
                },
                "crs": {"type": "string", "format": "uri"},
            },
        }
    )
    field = form.field("x")
    assert isinstance(field, BBoxField) and field.object_form
    form.value = {"x": {"bbox": [1, 2, 3, 4], "crs": "http://www.opengis.net/def/crs/EPSG/0/4326"}}
    assert field.crs.endswith("4326") and form.is_valid
    field.set_item(0, 5)
    assert form.value["x"]["bbox"] == [5, 2, 3, 4]
    assert form.errors == {"x": ["West (5) must not be greater than East (3)."]}
    field.crs = "urn:ogc:def:crs:OGC:1.3:CRS84"
    assert form.value["x"]["crs"] == "urn:ogc:def:crs:OGC:1.3:CRS84"


def test_array_of_objects_as_repeated_subforms():
    form = one(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "weight": {"type": "number", "default": 1},
                },
                "required": ["name"],
            },
        }
    )
    field = form.field("x")
    item = field.add()
    assert isinstance(item, ObjectField)
    assert form.value == {"x": [None]}  # nothing valid to send for the new item yet
    assert form.errors == {"x[0]": ["A value is required."]}
    assert item.field("weight").value == 1  # its properties show their defaults
    item.field("name").value = "n"
    assert form.value == {"x": [{"name": "n", "weight": 1}]} and form.is_valid


def test_occurrences_when_max_occurs_above_one():
    form = one({"type": "string", "format": "date"}, maxOccurs="unbounded", minOccurs=0)
    field = form.field("x")
    assert isinstance(field, ArrayField) and field.occurrences
    assert form.value == {} and form.is_valid  # optional and empty: not sent
    field.add("2025-01-01")
    field.add("nope")
    assert form.value == {"x": ["2025-01-01", "nope"]}
    assert list(form.errors) == ["x[1]"]
    limited = one({"type": "integer"}, maxOccurs=2, minOccurs=1)
    limited.value = {"x": [1, 2, 3]}
    assert limited.errors == {"x": ["Allows at most 2 item(s)."]}


# -- objects ---------------------------------------------------------------------------
def test_nested_objects_are_lazy_and_collect_values():
    form = one(
        {
            "type": "object",
            "properties": {"a": {"type": "object", "properties": {"b": {"type": "integer"}}}},
        },
        minOccurs=0,
    )
    field = form.field("x")
    assert isinstance(field, ObjectField) and not field.is_built
    assert form.value == {}  # optional and untouched: not sent
    inner = field.field("a")
    assert field.is_built and not inner.is_built
    inner.field("b").value = 3
    assert form.value == {"x": {"a": {"b": 3}}}
    inner.field("b").value = "q"
    assert form.errors == {"x.a.b": ["Must be a whole number."]}
    assert inner.field("b").errors == ["Must be a whole number."]
    assert form.find("x.a.b") is inner.field("b")


def test_errors_in_unopened_objects_show_on_the_object():
    form = one(
        {
            "type": "object",
            "properties": {"a": {"type": "object", "properties": {"b": {"type": "integer"}}}},
        }
    )
    form.value = {"x": {"a": {"b": "no"}}}
    assert form.errors == {"x.a.b": ["Must be a whole number."]}
    inner = form.field("x").field("a")
    assert not inner.is_built
    assert inner.errors == ["b: Must be a whole number."]


def test_required_properties_and_defaults():
    form = one(
        {
            "type": "object",
            "required": ["t"],
            "properties": {
                "t": {"type": "number", "title": "Threshold"},
                "f": {"type": "number", "default": 2},
            },
        }
    )
    # nothing valid to send until the required property is filled in
    assert form.value == {} and form.errors == {"x": ["A value is required."]}
    field = form.field("x")
    assert field.field("t").title == "Threshold"
    assert field.field("f").value == 2  # shown, and sent once the object is edited
    field.field("t").value = 0.5
    assert form.value == {"x": {"t": 0.5, "f": 2}} and form.is_valid
    field.field("t").value = MISSING
    assert form.errors == {"x.t": ["A value is required."]}
    assert field.field("t").errors == ["A value is required."]


def test_property_order_follows_x_ui_order():
    form = one(
        {
            "type": "object",
            "properties": {
                "c": {"type": "string"},
                "a": {"type": "string", "x-ui-order": 2},
                "b": {"type": "string", "x-ui-order": 1},
            },
        }
    )
    assert [f.key for f in form.field("x").fields] == ["b", "a", "c"]


def test_additional_properties_key_value_editor():
    form = one({"type": "object", "additionalProperties": {"type": "number"}})
    field = form.field("x")
    assert isinstance(field, MapField)
    entry = field.add("k1", 1.5)
    field.add("k2", 2)
    assert form.value == {"x": {"k1": 1.5, "k2": 2}}
    field.rename(0, "renamed")
    assert form.value == {"x": {"renamed": 1.5, "k2": 2}}
    entry.value = "bad"
    assert form.errors == {"x.renamed": ["Must be a number."]}
    field.rename(1, "renamed")
    assert "Repeated key(s): renamed." in form.errors["x"]
    field.remove(1)
    entry.value = 3
    assert form.value == {"x": {"renamed": 3}} and form.is_valid


def test_an_entry_added_without_a_key_waits_for_one():
    form = one({"type": "object", "additionalProperties": {"type": "number"}})
    field = form.field("x")
    assert isinstance(field, MapField)
    field.add(value=1)
    assert form.value == {"x": {}} and form.errors["x"] == ["Every entry needs a key."]
    field.rename(0, "k")
    assert form.value == {"x": {"k": 1}} and form.is_valid
    field.add(value=2)
    field.remove(1)  # the unnamed one goes: nothing waits for a key any more
    assert form.value == {"x": {"k": 1}} and form.is_valid
    field.add()
    form.value = {"x": {"a": 5}}  # a loaded value replaces every entry
    assert form.value == {"x": {"a": 5}} and form.is_valid


def test_properties_plus_additional_properties_keep_extras():
    form = one(
        {
            "type": "object",
            "properties": {"a": {"type": "integer"}},
            "additionalProperties": {"type": "string"},
        }
    )
    form.value = {"x": {"a": 1, "extra": "e"}}
    assert form.value == {"x": {"a": 1, "extra": "e"}}
    field = form.field("x")
    field.build()
    assert isinstance(field.extra, MapField)
    field.extra.add("more", "m")
    assert form.value == {"x": {"a": 1, "extra": "e", "more": "m"}}


@pytest.mark.parametrize("schema", [{}, {"type": "object"}, {"description": "anything"}])
def test_untyped_and_free_objects_use_the_json_editor(schema):
    form = one(schema)
    field = form.field("x")
    assert isinstance(field, JsonField)
    field.text = '{"a": [1, 2]}'
    assert form.value == {"x": {"a": [1, 2]}}
    field.text = "{oops"
    assert form.errors["x"][0].startswith("Not valid JSON")
    form.value = {"x": {"b": [1, "c"]}}
    assert json.loads(field.text) == {"b": [1, "c"]} and form.is_valid


def test_json_editor_validates_against_schema():
    form = one({"type": "object", "maxProperties": 1})
    form.field("x").text = '{"a": 1, "b": 2}'
    assert form.errors == {"x": ["Allows at most 1 entr(y/ies)."]}


# -- null, choices, allOf, $ref ----------------------------------------------------------
@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "nullable": True},
        {"type": ["string", "null"]},
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
    ],
)
def test_nullable_forms(schema):
    form = one(schema)
    field = form.field("x")
    assert isinstance(field, StringField) and field.nullable
    assert form.value == {"x": None} and form.is_valid  # required: null is sent
    field.value = "s"
    assert form.value == {"x": "s"}
    field.value = None
    assert form.value == {"x": None} and form.is_valid


def test_set_null_keeps_the_draft_and_brings_it_back():
    form = one({"type": "object", "nullable": True,
                "properties": {"a": {"type": "integer"}}})
    field = form.field("x")
    field.value = {"a": 3}
    field.set_null(True)
    assert field.is_null and form.value == {"x": None}
    field.set_null(False)
    assert not field.is_null and form.value == {"x": {"a": 3}}
    text = one({"type": "string", "nullable": True}).field("x")
    text.set_null(False)  # never held anything: back to nothing entered
    assert text.value is MISSING and not text.is_null


def test_nullable_object_without_type_via_ref():
    form = one(
        {
            "$defs": {"P": {"type": "object", "properties": {"a": {"type": "integer"}}}},
            "$ref": "#/$defs/P",
            "nullable": True,
        },
        minOccurs=0,
    )
    field = form.field("x")
    assert isinstance(field, ObjectField) and field.nullable
    form.value = {"x": None}
    assert form.value == {"x": None} and form.is_valid
    form.value = {"x": {"a": "b"}}
    assert form.errors == {"x.a": ["Must be a whole number."]}


def test_oneof_keeps_a_draft_per_branch_and_detects_branch_on_load():
    form = one(
        {
            "oneOf": [
                {
                    "type": "object",
                    "title": "Circle",
                    "properties": {"r": {"type": "number"}},
                    "required": ["r"],
                },
                {
                    "type": "object",
                    "title": "Rect",
                    "properties": {"w": {"type": "number"}, "h": {"type": "number"}},
                    "required": ["w", "h"],
                },
            ]
        }
    )
    field = form.field("x")
    assert isinstance(field, ChoiceField) and field.labels == ["Circle", "Rect"]
    form.value = {"x": {"w": 1, "h": 2}}
    assert field.branch == 1 and form.is_valid
    field.branch = 0
    assert form.errors == {"x": ["A value is required."]}
    field.branch_field().field("r").value = 3
    assert form.value == {"x": {"r": 3}}
    field.branch = 1
    assert form.value == {"x": {"w": 1, "h": 2}}  # the Rect draft survived
    field.branch = 0
    assert form.value == {"x": {"r": 3}}


def test_choice_errors_explain_the_selected_branch():
    form = one({"anyOf": [{"type": "integer", "minimum": 10}, {"type": "string"}]})
    field = form.field("x")
    field.branch_field().value = 3
    assert form.errors == {"x": ["Must be at least 10."]}


def test_discriminator_picks_the_branch():
    form = one(
        {
            "$defs": {
                "Cat": {
                    "type": "object",
                    "properties": {"kind": {"type": "string"}, "lives": {"type": "integer"}},
                },
                "Dog": {
                    "type": "object",
                    "properties": {"kind": {"type": "string"}, "good": {"type": "boolean"}},
                },
            },
            "oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}],
            "discriminator": {
                "propertyName": "kind",
                "mapping": {"dog": "#/$defs/Dog", "cat": "#/$defs/Cat"},
            },
        }
    )
    field = form.field("x")
    assert field.labels == ["Cat", "Dog"]
    # both branches would accept the value; only the discriminator can tell
    form.value = {"x": {"kind": "dog"}}
    assert field.branch == 1


def test_type_list_is_a_choice_between_types():
    form = one({"type": ["integer", "string"]})
    field = form.field("x")
    assert isinstance(field, ChoiceField) and field.labels == ["Whole number", "Text"]
    form.value = {"x": "s"}
    assert field.branch == 1 and form.value == {"x": "s"}
    form.value = {"x": 4}
    assert field.branch == 0 and form.value == {"x": 4}


def test_all_of_is_merged():
    form = one(
        {
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                {"properties": {"b": {"type": "string"}}, "required": ["b"]},
            ]
        }
    )
    field = form.field("x")
    assert isinstance(field, ObjectField)
    assert [f.key for f in field.fields] == ["a", "b"]
    field.field("a").value = 1
    assert form.errors == {"x.b": ["A value is required."]}


def test_recursive_refs_build_lazily():
    form = one(
        {
            "$defs": {
                "node": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                    },
                }
            },
            "$ref": "#/$defs/node",
        }
    )
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}
    form.value = {"x": tree}
    assert form.value == {"x": tree} and form.is_valid
    child = form.field("x").field("children").items[0]
    assert not child.is_built  # deeper levels exist only once opened
    form.value = {"x": {"name": "a", "children": [{"children": []}]}}
    assert form.errors == {"x.children[0].name": ["A value is required."]}


def test_defs_under_components_and_definitions_resolve():
    form = one(
        {
            "definitions": {"N": {"type": "integer", "minimum": 1}},
            "type": "object",
            "properties": {"n": {"$ref": "#/definitions/N"}},
        }
    )
    form.value = {"x": {"n": 0}}
    assert form.errors == {"x.n": ["Must be at least 1."]}


# -- hints, robustness -------------------------------------------------------------------
def test_hints_and_annotations():
    form = one(
        {
            "type": "string",
            "title": "T",
            "description": "help <b>me</b>",
            "examples": ["e.g."],
            "readOnly": True,
            "deprecated": True,
            "x-ui-placeholder": "type here",
            "x-ui-widget": "textarea",
        }
    )
    field = form.field("x")
    assert field.title == "X"  # the input's title wins over the schema's
    assert field.placeholder == "type here"
    assert field.read_only and field.deprecated and field.widget == "textarea"
    assert "Deprecated." in field.help_text


def test_examples_become_placeholders():
    assert one({"type": "number", "example": 4.5}).field("x").placeholder == "4.5"
    assert one({"type": "string", "examples": ["abc"]}).field("x").placeholder == "abc"


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "wobble"},
        {"$ref": "#/$defs/missing"},
        {"$ref": "http://elsewhere.example/schema.json"},
        {"type": "string", "pattern": "("},
    ],
)
def test_schemas_not_understood_fall_back_to_json_and_the_rest_works(schema):
    form = InputForm(
        {
            "id": "p",
            "inputs": {
                "bad": {"title": "Bad", "schema": schema},
                "good": {"title": "Good", "schema": {"type": "integer", "default": 1}},
            },
        }
    )
    assert isinstance(form.field("bad"), JsonField)
    assert form.field("bad").reason
    form.field("bad").text = '"anything"'
    assert form.value["bad"] == "anything"
    form.field("good").value = 2
    assert form.value["good"] == 2
    assert "good" not in form.errors


# -- optional inputs, defaults, value, reset -----------------------------------------------
def test_optional_inputs_left_unset_are_not_sent():
    form = InputForm(
        {
            "id": "p",
            "inputs": {
                "a": {"schema": {"type": "integer"}, "minOccurs": 0},
                "b": {"schema": {"type": "integer", "default": 5}, "minOccurs": 0},
                "c": {"schema": {"type": "integer"}},
            },
        }
    )
    assert form.value == {"b": 5}
    assert form.errors == {"c": ["A value is required."]} and not form.is_valid
    form.field("c").value = 1
    assert form.is_valid and form.value == {"b": 5, "c": 1}
    form.field("b").clear()
    assert form.value == {"c": 1}


def test_setting_value_fills_fields_and_watchers_fire_on_edits():
    form = InputForm(json.loads((DATA / "simulate_scene.json").read_text()))
    seen = []
    form.param.watch(lambda event: seen.append(event.new), "value")
    saved = {"var_names": "x", "bbox": [0, 1, 2, 3], "output_path": "/tmp/o"}
    form.value = saved
    assert form.value == saved
    assert form.field("resolution").value is MISSING
    form.field("var_names").value = "y"
    assert seen[-1]["var_names"] == "y"
    assert len(seen) == 2
    form.reset()
    assert form.value["var_names"] == "a, b, c" and form.value["output_path"] is None


def test_is_valid_and_errors_are_read_only():
    form = one({"type": "integer"})
    with pytest.raises(TypeError):
        form.is_valid = True


def test_forms_layer_never_imports_panel():
    import subprocess

    code = (
        "import sys, procdeck.forms, json; "
        "f = procdeck.forms.InputForm(json.load(open(sys.argv[1]))); "
        "assert 'panel' not in sys.modules and 'bokeh' not in sys.modules, 'panel imported'"
    )
    subprocess.run([sys.executable, "-c", code, str(DATA / "simulate_scene.json")], check=True)

"""Schema conversions: pydantic -> OpenAPI 3.0 flavour, and OpenAPI 3.0 -> validation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

from procdeck.ogc.jsonschema import to_json_schema, to_openapi_schema, validator_for


def valid(schema: dict[str, Any], value: Any) -> bool:
    return validator_for(schema).is_valid(value)


class Node(BaseModel):
    name: str
    children: list[Node] = []


def test_anyof_with_null_becomes_nullable_and_keeps_the_outer_keys():
    schema = {
        "anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}],
        "default": None,
        "title": "Out",
    }
    assert to_openapi_schema(schema) == {
        "type": "string",
        "minLength": 1,
        "nullable": True,
        "title": "Out",
    }


def test_anyof_of_several_types_with_null_stays_anyof():
    schema = {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}
    assert to_openapi_schema(schema) == {
        "anyOf": [{"type": "string"}, {"type": "integer"}],
        "nullable": True,
    }


def test_type_lists_const_prefix_items_and_base64():
    assert to_openapi_schema({"type": ["number", "null"]}) == {"type": "number", "nullable": True}
    assert to_openapi_schema({"const": "x"}) == {"enum": ["x"]}
    tuple_schema = TypeAdapter(tuple[float, float]).json_schema()
    converted = to_openapi_schema(tuple_schema)
    assert converted["items"] == {"type": "number"} and "prefixItems" not in converted
    assert to_openapi_schema({"type": "string", "format": "base64"}) == {
        "type": "string",
        "format": "byte",
        "contentEncoding": "base64",
    }


def test_refs_with_siblings_are_inlined_siblings_win():
    schema = {
        "$defs": {"P": {"type": "object", "title": "P", "properties": {"a": {"type": "integer"}}}},
        "$ref": "#/$defs/P",
        "title": "Mine",
    }
    assert to_openapi_schema(schema) == {
        "type": "object",
        "title": "Mine",
        "properties": {"a": {"type": "integer"}},
    }


def test_recursive_models_keep_their_definitions():
    converted = to_openapi_schema(Node.model_json_schema())
    assert converted["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert "Node" in converted["$defs"]
    assert valid(converted, {"name": "a", "children": [{"name": "b", "children": []}]})
    assert not valid(converted, {"name": "a", "children": [{"children": []}]})


def test_input_schema_is_not_modified():
    schema = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    to_openapi_schema(schema)
    assert schema == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    openapi = {"type": "string", "nullable": True}
    to_json_schema(openapi)
    assert openapi == {"type": "string", "nullable": True}


def test_nullable_admits_null_in_validation():
    assert valid({"type": "string", "nullable": True}, None)
    assert not valid({"type": "string"}, None)
    assert valid({"type": "string", "enum": ["a"], "nullable": True}, None)
    assert not valid({"type": "string", "enum": ["a"], "nullable": True}, "b")
    one_of = {"oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": True}
    assert valid(one_of, None) and valid(one_of, 3) and not valid(one_of, 1.5)


def test_boolean_exclusive_bounds_validate_like_openapi_30():
    schema = {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1}
    assert not valid(schema, 0)
    assert valid(schema, 0.1) and valid(schema, 1)
    assert valid({"type": "number", "minimum": 0, "exclusiveMinimum": False}, 0)


def test_nested_nullable_and_formats_are_checked():
    schema = {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date"},
            "note": {"type": "string", "nullable": True},
        },
    }
    assert valid(schema, {"when": "2025-01-31", "note": None})
    assert not valid(schema, {"when": "2025-01-32"})


def test_definitions_refs_are_rewritten_for_validation():
    schema = {
        "definitions": {"n": {"type": "integer", "nullable": True}},
        "type": "array",
        "items": {"$ref": "#/definitions/n"},
    }
    assert valid(schema, [1, None])
    assert not valid(schema, ["x"])


def test_round_trip_pydantic_to_openapi_to_validation_accepts_the_model_dump():
    class Spec(BaseModel):
        threshold: float
        label: str | None = None
        tags: list[str] = []

    converted = to_openapi_schema(Spec.model_json_schema())
    assert valid(converted, Spec(threshold=1.5).model_dump())
    assert not valid(converted, {"label": "x"})

"""OpenAPI 3.1 -> 3.0.3 (``procdeck.server.openapi30``): each construct, the whole app's document.

Each 3.1 construct is put in a small document: unconverted, the 3.0 validator
refuses it; converted, it is valid 3.0 and admits the same values. "The same
values" is checked by validating values with JSON Schema 2020-12 against the
3.1 schema and with ``openapi-schema-validator``'s OpenAPI 3.0 validator (which
reads ``nullable`` the strict 3.0.3 way: only next to a ``type``) against the
converted one.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from openapi_schema_validator import OAS30Validator

from openapi_check import openapi30_problems, openapi31_problems
from procdeck.server.app import create_app, openapi_31
from procdeck.server.openapi30 import NULL_ONLY, to_openapi30
from procdeck.server.security import SecuritySettings

NULL = {"type": "null"}


def document(schema: Any, components: dict[str, Any] | None = None,
             openapi: str = "3.1.0") -> dict[str, Any]:
    """A one-operation document whose 200 answer has ``schema``."""
    return {
        "openapi": openapi,
        "info": {"title": "t", "version": "1"},
        "paths": {"/thing": {"get": {"responses": {"200": {
            "description": "the thing",
            "content": {"application/json": {"schema": schema}},
        }}}}},
        "components": {"schemas": components or {}},
    }


def answer_schema(doc: dict[str, Any]) -> Any:
    return doc["paths"]["/thing"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]


def admits_31(doc: dict[str, Any], value: Any) -> bool:
    schema = {**answer_schema(doc), "components": doc["components"]}
    return Draft202012Validator(schema).is_valid(value)


def admits_30(doc: dict[str, Any], value: Any) -> bool:
    schema = {**answer_schema(doc), "components": doc["components"]}
    return OAS30Validator(schema).is_valid(value)


# (3.1 schema, components, the converted schema, values to try)
CASES: dict[str, tuple[Any, dict[str, Any], Any, list[Any]]] = {
    "anyOf with null": (
        {"anyOf": [{"type": "string", "minLength": 1}, NULL], "default": None, "title": "T"},
        {}, {"type": "string", "minLength": 1, "nullable": True, "default": None, "title": "T"},
        ["a", "", None, 3],
    ),
    "type list with null": (
        {"type": ["integer", "null"], "minimum": 0}, {},
        {"type": "integer", "minimum": 0, "nullable": True}, [1, -1, None, "x"],
    ),
    "type list of several types": (
        {"type": ["integer", "string", "null"]}, {},
        {"anyOf": [{"type": "integer", "nullable": True}, {"type": "string", "nullable": True}]},
        [1, "a", None, 1.5, []],
    ),
    "type null alone": ({"type": "null"}, {}, NULL_ONLY, [None, 0, {}]),
    "nullable reference": (
        {"anyOf": [{"$ref": "#/components/schemas/P"}, NULL], "default": None},
        {"P": {"type": "object", "required": ["a"]}},
        {"anyOf": [{"$ref": "#/components/schemas/P"}, NULL_ONLY], "default": None},
        [{"a": 1}, {}, None, 1],
    ),
    "nullable oneOf of references": (
        {"oneOf": [{"$ref": "#/components/schemas/P"}, {"$ref": "#/components/schemas/Q"}, NULL]},
        {"P": {"type": "integer"}, "Q": {"type": "string"}},
        {"oneOf": [{"$ref": "#/components/schemas/P"}, {"$ref": "#/components/schemas/Q"},
                   NULL_ONLY]},
        [1, "a", None, 1.5],
    ),
    "nullable anyOf with an enum branch": (
        {"anyOf": [{"type": "integer"}, {"type": "string", "const": "unbounded"}, NULL]}, {},
        {"anyOf": [{"type": "integer", "nullable": True},
                   {"type": "string", "enum": ["unbounded"]}]},
        [3, "unbounded", "other", None],
    ),
    "nullable enum": (
        {"anyOf": [{"type": "string", "enum": ["a", "b"]}, NULL]}, {},
        {"type": "string", "enum": ["a", "b", None], "nullable": True}, ["a", "c", None],
    ),
    "const": ({"const": "x"}, {}, {"enum": ["x"]}, ["x", "y"]),
    "examples": (
        {"type": "integer", "examples": [3, 4]}, {}, {"type": "integer", "example": 3}, [1],
    ),
    "exclusive bounds": (
        {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10}, {},
        {"type": "number", "minimum": 0, "exclusiveMinimum": True,
         "maximum": 10, "exclusiveMaximum": True},
        [0, 0.1, 10, 9.9],
    ),
    "exclusive bound weaker than the inclusive one": (
        {"type": "number", "minimum": 5, "exclusiveMinimum": 1}, {},
        {"type": "number", "minimum": 5}, [5, 4],
    ),
    "tuple": (
        {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}],
         "minItems": 2, "maxItems": 2}, {},
        {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        [[1, 2], [1], [1, "a"]],
    ),
    "tuple of mixed items": (
        {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}, {},
        {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        [["a", 1], [[]]],
    ),
    "base64 content": (
        {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"}, {},
        {"type": "string", "format": "byte"}, ["aGk="],
    ),
    "binary content": (
        {"type": "string", "contentMediaType": "application/octet-stream"}, {},
        {"type": "string", "format": "binary"}, ["x"],
    ),
    "$schema, $id and 2020-12 keywords": (
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:x",
         "type": "object", "propertyNames": {"pattern": "^a"}, "x-ui-order": 1}, {},
        {"type": "object", "x-ui-order": 1}, [{}],
    ),
    "boolean and empty schemas": (
        {"type": "object", "properties": {"any": True, "free": {}, "never": False},
         "additionalProperties": True}, {},
        {"type": "object", "properties": {"any": {}, "free": {}, "never": {"not": {}}},
         "additionalProperties": True},
        [{"any": 1, "free": None}, {"never": 1}],
    ),
    "reference with siblings": (
        {"$ref": "#/components/schemas/P", "description": "the P"},
        {"P": {"type": "integer"}},
        {"allOf": [{"$ref": "#/components/schemas/P"}], "description": "the P"}, [1, "a"],
    ),
    "property names that are keywords": (
        {"type": "object", "properties": {"const": {"type": "string"}, "$ref": {}, "type": {}}},
        {}, {"type": "object", "properties": {"const": {"type": "string"}, "$ref": {}, "type": {}}},
        [{"const": "a"}, {"const": 1}],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_31_construct_becomes_valid_30_that_admits_the_same_values(name: str) -> None:
    schema, components, expected, values = CASES[name]
    original = document(schema, components)
    converted = to_openapi30(original)
    assert converted["openapi"] == "3.0.3"
    assert answer_schema(converted) == expected
    assert openapi30_problems(converted) == []
    for value in values:
        assert admits_30(converted, value) == admits_31(original, value), value


# Valid 3.0 already: an inclusive bound, property names; a $ref's siblings are allowed
# but ignored by 3.0 (the description would be lost: hence the allOf).
ALREADY_30 = {"exclusive bound weaker than the inclusive one", "property names that are keywords",
              "reference with siblings"}


@pytest.mark.parametrize("name", [n for n in CASES if n not in ALREADY_30])
def test_each_31_construct_is_refused_by_the_30_validator(name: str) -> None:
    # The same schema in a document that only claims 3.0: the validator sees the 3.1 words.
    schema, components, _, _ = CASES[name]
    assert openapi30_problems(document(schema, components, openapi="3.0.3"))


def test_defs_move_to_the_components_with_their_references() -> None:
    inner = {
        "$defs": {
            "Node": {"type": "object", "properties": {
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                "leaf": {"anyOf": [{"$ref": "#/$defs/Leaf"}, NULL]},
            }},
            "Leaf": {"type": "string"},
        },
        "$ref": "#/$defs/Node",
    }
    converted = to_openapi30(document(inner, {"Leaf": {"type": "integer"}}))
    schemas = converted["components"]["schemas"]
    assert answer_schema(converted) == {"$ref": "#/components/schemas/Node"}
    assert schemas["Leaf"] == {"type": "integer"}  # a name already taken is not overwritten
    assert schemas["Node"]["properties"] == {
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        "leaf": {"anyOf": [{"$ref": "#/components/schemas/Leaf_2"}, NULL_ONLY]},
    }
    assert schemas["Leaf_2"] == {"type": "string"}
    assert openapi30_problems(converted) == []
    assert admits_30(converted, {"children": [{"leaf": "a"}], "leaf": None})
    assert not admits_30(converted, {"children": [{"leaf": 1}]})


def test_parameters_keep_every_example_and_31_document_fields_go() -> None:
    original = {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "t", "version": "1", "summary": "short",
                 "license": {"name": "MIT", "identifier": "MIT"}},
        "paths": {"/jobs/{jobId}": {"get": {
            "parameters": [{"name": "jobId", "in": "path", "required": True,
                            "schema": {"type": "string", "examples": ["job_0", "job_1"]}},
                           {"name": "limit", "in": "query",
                            "schema": {"anyOf": [{"type": "integer"}, NULL]}}],
            "responses": {"200": {"description": "ok", "headers": {"Link": {
                "schema": {"type": ["string", "null"]}}}}},
        }}},
        "webhooks": {"done": {"post": {"responses": {"200": {"description": "ok"}}}}},
        "components": {"pathItems": {"p": {}}},
    }
    before = copy.deepcopy(original)
    converted = to_openapi30(original)
    assert original == before  # the input is not modified
    assert openapi30_problems(converted) == []
    assert {"jsonSchemaDialect", "webhooks"}.isdisjoint(converted)
    assert converted["info"] == {"title": "t", "version": "1", "license": {"name": "MIT"}}
    assert "pathItems" not in converted["components"]
    operation = converted["paths"]["/jobs/{jobId}"]["get"]
    job_id, limit = operation["parameters"]
    assert job_id["examples"] == {"job_0": {"value": "job_0"}, "job_1": {"value": "job_1"}}
    assert job_id["schema"] == {"type": "string", "example": "job_0"}
    assert limit["schema"] == {"type": "integer", "nullable": True}
    assert operation["responses"]["200"]["headers"]["Link"]["schema"] == {
        "type": "string", "nullable": True}


@pytest.mark.parametrize("token", [None, "a-token-for-the-docs"])
def test_the_apps_document_is_valid_openapi_30_and_the_31_one_is_not(token: str | None) -> None:
    app = create_app(security=SecuritySettings(token=token))
    served = app.openapi()
    assert served["openapi"] == "3.0.3"
    assert openapi30_problems(served) == []
    original = openapi_31(app)
    assert original["openapi"].startswith("3.1")
    assert openapi31_problems(original) == []
    assert openapi30_problems(original)  # what /openapi.json used to be
    # Same operations, same models, same security notes: only the dialect differs.
    assert served["paths"].keys() == original["paths"].keys()
    assert served["components"].keys() == original["components"].keys()
    assert served["components"]["schemas"].keys() == original["components"]["schemas"].keys()
    assert ("securitySchemes" in served["components"]) == (token is not None)
    assert app.openapi() is served and openapi_31(app) is original  # made once


def json_schema_words(node: Any, in_properties: bool = False) -> set[str]:
    """Every 2020-12-only word used as a keyword (not as a property name) in ``node``."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= json_schema_words(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if not in_properties:
                if key in {"const", "$defs", "prefixItems", "contentMediaType", "$schema"} or (
                        key == "examples" and isinstance(value, list)):
                    found.add(key)
                if key == "type" and (value == "null" or isinstance(value, list)):
                    found.add(f"type: {value}")
            found |= json_schema_words(value, key == "properties" and not in_properties)
    return found


def test_no_31_keyword_is_left_in_the_apps_document() -> None:
    app = create_app()
    assert json_schema_words(openapi_31(app))  # the check sees them where they are
    assert json_schema_words(app.openapi()) == set()


def test_the_docs_pages_and_both_documents_are_served() -> None:
    with TestClient(create_app()) as client:
        served = client.get("/openapi.json")
        original = client.get("/openapi-3.1.json")
        docs = client.get("/docs").text
    assert served.json()["openapi"] == "3.0.3"
    assert original.json()["openapi"].startswith("3.1")
    assert "/openapi.json" in docs  # Swagger UI 5 renders the 3.0 document

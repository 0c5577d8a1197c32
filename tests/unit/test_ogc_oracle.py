"""The oracle itself: the standard's own examples pass, known-bad documents fail.

Also checks how OpenAPI 3.0 is read as JSON Schema (``nullable``, boolean
``exclusiveMinimum``, ``example``) and that every ``oneOf`` of the vendored
files is decided: read as ``anyOf`` because its branches overlap (a strict
reading then rejects the standard's own examples), or kept strict.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import ogc_oracle
from ogc_oracle import problems, validate, value_problems

EXAMPLES = Path(__file__).parent.parent / "data" / "ogc-examples-1.0"

# example file -> schema; the examples predate PR #260, which made statusInfo's `type` required
GOOD_EXAMPLES = {
    "ConfClasses.json": "confClasses.yaml",
    "Execute.json": "execute.yaml",
    "LandingPage.json": "landingPage.yaml",
    "ProcessDescription.json": "process.yaml",
    "ProcessList.json": "processList.yaml",
    "Result.json": "results.yaml",
}
EXAMPLES_WITHOUT_TYPE = {
    "StatusInfo.json": ("statusInfo.yaml", ["$: 'type' is a required property"]),
    "StatusInfo-dismissed.json": ("statusInfo.yaml", ["$: 'type' is a required property"]),
    "JobList.json": ("jobList.yaml", [f"$.jobs[{i}]: 'type' is a required property"
                                      for i in range(3)]),
}

STATUS = {
    "jobID": "job_1", "processID": "p", "type": "process", "status": "running",
    "created": "2025-01-01T10:00:00Z", "progress": 5,
    "links": [{"href": "http://h/jobs/job_1", "rel": "self"}],
}


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def description(schema: dict[str, Any]) -> dict[str, Any]:
    """A minimal process description with one input of this schema."""
    return {"id": "p", "version": "1.0", "inputs": {"x": {"schema": schema}},
            "outputs": {"y": {"schema": {"type": "number"}}}}


def strict_problems(document: Any, name: str) -> list[str]:
    """Violations when every oneOf is read as oneOf (the reading the oracle does not use)."""
    registry: Registry = Registry().with_resources(
        (ogc_oracle.BASE_URI + file, Resource(ogc_oracle.as_json_schema(schema), DRAFT202012))
        for file, schema in ogc_oracle._raw_schemas().items()
    )
    validator = Draft202012Validator({"$ref": ogc_oracle.BASE_URI + name}, registry=registry)
    return [f"{e.json_path}: {e.message[:80]}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize("name", sorted(GOOD_EXAMPLES))
def test_the_standards_examples_validate(name: str) -> None:
    validate(example(name), GOOD_EXAMPLES[name])


@pytest.mark.parametrize("name", sorted(EXAMPLES_WITHOUT_TYPE))
def test_status_examples_fail_only_for_the_type_pr_260_made_required(name: str) -> None:
    schema, expected = EXAMPLES_WITHOUT_TYPE[name]
    assert problems(example(name), schema) == expected


@pytest.mark.parametrize("name", ["Execute.json", "ProcessDescription.json", "Result.json"])
def test_a_strict_oneof_reading_rejects_the_standards_own_examples(name: str) -> None:
    assert strict_problems(example(name), GOOD_EXAMPLES[name])


def test_every_oneof_of_the_vendored_files_is_decided_once() -> None:
    found = {(file, pointer) for file, schema in ogc_oracle._raw_schemas().items()
             for pointer in ogc_oracle.oneof_locations(schema)}
    assert found == ogc_oracle.ONEOF_READ_AS_ANYOF | ogc_oracle.ONEOF_KEPT_STRICT
    assert not ogc_oracle.ONEOF_READ_AS_ANYOF & ogc_oracle.ONEOF_KEPT_STRICT


@pytest.mark.parametrize(
    ("document", "name"),
    [
        ({"out": 3}, "results.yaml"),  # integer is also a number
        ({"out": "text"}, "results.yaml"),  # string is also a binaryInputValue
        ({"out": {"value": {"bbox": [1, 2, 3, 4]}}}, "results.yaml"),  # bbox is also an object
        ({"inputs": {"a": [0.5, 1.5]}}, "execute.yaml"),  # an array is also inlineOrRefData
        (description({"items": {"$ref": "x.yaml"}}), "process.yaml"),  # a reference is a schema
        ({"additionalParameters": {"parameters": [{"name": "n", "value": [3]}]}},
         "descriptionType.yaml"),  # integer is also a number
    ],
    ids=["integer", "string", "bbox-value", "array-input", "nested-ref", "parameter-value"],
)
def test_documents_matching_overlapping_branches_are_valid(document: Any, name: str) -> None:
    validate(document, name)
    assert strict_problems(document, name)


def test_nested_refs_in_a_schema_object_are_valid() -> None:
    validate(description({"type": "object", "properties": {"a": {"$ref": "#/defs/a"}},
                          "items": {"$ref": "x.yaml"}}), "process.yaml")


def test_a_valid_status_passes_and_every_violation_is_listed() -> None:
    validate(STATUS, "statusInfo.yaml")
    bad = {**STATUS, "status": "done", "progress": 101, "created": "yesterday"}
    del bad["jobID"]
    with pytest.raises(AssertionError) as failure:
        validate(bad, "statusInfo.yaml")
    text = str(failure.value)
    assert "4 violation(s) of statusInfo.yaml" in text
    for part in ("'jobID' is a required property", "'done' is not one of",
                 "$.progress: 101 is greater than the maximum of 100",
                 "$.created: 'yesterday' is not a 'date-time'"):
        assert part in text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"type": "job"}, "$.type: 'job' is not one of ['process']"),
        ({"jobID": 7}, "$.jobID: 7 is not of type 'string'"),
        ({"status": None}, "$.status: None is not of type 'string'"),
        ({"progress": 50.5}, "$.progress: 50.5 is not of type 'integer'"),
        ({"links": [{"rel": "self"}]}, "$.links[0]: 'href' is a required property"),
        ({"finished": "2025-01-01 10:00"}, "$.finished: '2025-01-01 10:00' is not a 'date-time'"),
    ],
)
def test_bad_status_documents_fail(change: dict[str, Any], expected: str) -> None:
    assert expected in problems({**STATUS, **change}, "statusInfo.yaml")


@pytest.mark.parametrize(
    ("schema", "unexpected"),
    [
        ({"type": "string", "x-ui-order": 1}, "'x-ui-order' was unexpected"),
        ({"type": "integer", "examples": [1]}, "'examples' was unexpected"),
        ({"oneOf": [{"type": "string"}], "discriminator": {"propertyName": "k"}},
         "'discriminator' was unexpected"),
        ({"const": 3}, "'const' was unexpected"),
        ({"$defs": {}}, "'$defs' was unexpected"),
    ],
)
def test_keys_the_schema_object_does_not_list_fail(schema: dict[str, Any], unexpected: str) -> None:
    found = problems(description(schema), "process.yaml")
    assert len(found) == 1
    assert found[0].startswith("$.inputs.x.schema: Additional properties are not allowed")
    assert unexpected in found[0]


def test_an_extra_key_deep_in_a_schema_is_found_where_it_is() -> None:
    schema = {"type": "object", "properties": {"a": {"oneOf": [
        {"type": "string"}, {"type": "object", "properties": {"t": {"x-ui-widget": "area"}}},
    ]}}}
    found = problems(description(schema), "process.yaml")
    assert len(found) == 1
    assert found[0].startswith("$.inputs.x.schema.properties.a.oneOf[1].properties.t: "
                               "Additional properties are not allowed ('x-ui-widget'")


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": ["string", "null"]}, "['string', 'null'] is not of type 'string'"),
        ({"type": "number", "minimum": 0, "exclusiveMinimum": 0}, "0 is not of type 'boolean'"),
        ({"type": "number", "multipleOf": 0}, "0 is less than or equal to the minimum of 0"),
        ({"type": "string", "pattern": "("}, "'(' is not a 'regex'"),
        ({"type": "list"}, "'list' is not one of"),
        ({"required": []}, "[] should be non-empty"),
    ],
)
def test_schema_objects_that_are_not_openapi_30_fail(
    schema: dict[str, Any], expected: str
) -> None:
    found = problems(description(schema), "process.yaml")
    assert any(expected in line for line in found), found


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "number", "minimum": 0, "exclusiveMinimum": True, "multipleOf": 0.5},
        {"type": "string", "nullable": True, "example": "x", "format": "date"},
        {"type": "string", "contentMediaType": "image/png", "contentEncoding": "base64"},
        {"allOf": [{"$ref": "bbox.yaml"}], "format": "ogc-bbox"},
        {"type": "object", "additionalProperties": {}, "readOnly": True},
        {"type": "array", "items": {"type": "integer"}, "minItems": 4, "maxItems": 4},
    ],
)
def test_openapi_30_schema_objects_pass(schema: dict[str, Any]) -> None:
    validate(description(schema), "process.yaml")


@pytest.mark.parametrize(
    ("document", "name", "expected"),
    [
        ({"links": [{"href": "x"}]}, "confClasses.yaml", "$: 'conformsTo' is a required property"),
        ({"conformsTo": [1]}, "confClasses.yaml", "$.conformsTo[0]: 1 is not of type 'string'"),
        ({"links": [{"rel": "self"}]}, "landingPage.yaml",
         "$.links[0]: 'href' is a required property"),
        ({"processes": []}, "processList.yaml", "$: 'links' is a required property"),
        ({"processes": [{"id": "p"}], "links": []}, "processList.yaml",
         "$.processes[0]: 'version' is a required property"),
        ({"processes": [{"id": "p", "version": "1", "jobControlOptions": ["async"]}],
          "links": []}, "processList.yaml",
         "$.processes[0].jobControlOptions[0]: 'async' is not one of"),
        ({"jobs": [STATUS]}, "jobList.yaml", "$: 'links' is a required property"),
        ({"title": "x"}, "exception.yaml", "$: 'type' is a required property"),
        ({"type": "about:blank", "status": "404"}, "exception.yaml",
         "$.status: '404' is not of type 'integer'"),
        ({"out": {"bbox": [1, 2, 3, 4, 5]}}, "results.yaml", "$.out.bbox: [1, 2, 3, 4, 5]"),
        ({"out": None}, "results.yaml", "$.out: None is not valid under any"),
    ],
)
def test_bad_documents_fail(document: Any, name: str, expected: str) -> None:
    found = problems(document, name)
    assert any(line.startswith(expected) for line in found), found


def test_a_bare_object_result_fails_and_a_qualified_one_passes() -> None:
    bare = {"return_value": {"threshold": 1.0, "factor": 2.0}}
    assert problems(bare, "results.yaml") == [
        "$.return_value: {'threshold': 1.0, 'factor': 2.0} is not valid under any of the "
        "given schemas"
    ]
    validate({"return_value": {"value": bare["return_value"], "mediaType": "application/json"}},
             "results.yaml")


def test_an_object_that_is_both_a_link_and_a_qualified_value_is_ambiguous() -> None:
    found = problems({"out": {"value": 1, "href": "http://h/x"}}, "results.yaml")
    assert len(found) == 1
    assert "is valid under each of" in found[0]


def test_a_description_problem_in_a_process_names_the_input() -> None:
    document = copy.deepcopy(example("ProcessDescription.json"))
    document["inputs"]["stringInput"]["maxOccurs"] = "many"
    document["inputs"]["stringInput"]["schema"]["x-ui-widget"] = "text"
    found = problems(document, "process.yaml")
    assert any(line.startswith("$.inputs.stringInput.maxOccurs: 'many'") for line in found)
    assert any(line.startswith("$.inputs.stringInput.schema: Additional properties")
               for line in found), found


def test_the_conversion_changes_keywords_not_property_names() -> None:
    published = ogc_oracle.raw_schema("schema.yaml")
    converted = ogc_oracle.as_json_schema(published)
    names = converted["oneOf"][1]["properties"]
    assert names["exclusiveMinimum"] == {"type": "boolean", "default": False}
    assert names["nullable"] == {"type": "boolean", "default": False}
    assert names["example"] == {}
    assert names["multipleOf"] == {"type": "number", "exclusiveMinimum": 0}
    assert ogc_oracle.as_json_schema(ogc_oracle.raw_schema("statusCode.yaml"))["type"] == "string"
    assert "example" not in ogc_oracle.as_json_schema(ogc_oracle.raw_schema("link.yaml"))[
        "properties"]["rel"]
    assert published == ogc_oracle.raw_schema("schema.yaml")  # the published copy unchanged


@pytest.mark.parametrize(
    ("schema", "value", "valid"),
    [
        ({"type": "string", "nullable": True}, None, True),
        ({"type": "string"}, None, False),
        ({"type": "string", "nullable": False}, None, False),
        ({"type": "string", "enum": ["a"], "nullable": True}, None, True),
        ({"type": "string", "enum": ["a"], "nullable": True}, "b", False),
        ({"oneOf": [{"type": "string"}], "nullable": True}, None, True),
        ({"oneOf": [{"type": "string"}], "nullable": True}, 3, False),
        ({"type": "number", "minimum": 0, "exclusiveMinimum": True}, 0, False),
        ({"type": "number", "minimum": 0, "exclusiveMinimum": True}, 0.1, True),
        ({"type": "number", "minimum": 0, "exclusiveMinimum": False}, 0, True),
        ({"type": "number", "maximum": 1, "exclusiveMaximum": True}, 1, False),
        ({"type": "string", "format": "date-time"}, "2025-01-01", False),
        ({"type": "string", "format": "date"}, "2025-01-01", True),
        ({"type": "string", "format": "byte"}, "not base64 at all!", True),
    ],
)
def test_values_against_openapi_30_schemas(schema: dict[str, Any], value: Any, valid: bool) -> None:
    assert (value_problems(value, schema) == []) is valid

"""The form and the server agree on what is valid: one translation, one format checker.

Hypothesis draws OpenAPI 3.0 flavoured schemas (``nullable``, ``oneOf``/``anyOf``/``allOf``,
boolean exclusive bounds, formats, draft-4 list-form ``items``, enums, ``$ref`` into
``definitions``) and values (valid ones from hypothesis-jsonschema, arbitrary JSON, strings
that look like formats); for each, the form's verdict (``InputForm``, built from the
description as the server serves it) equals the server's (``RegisteredProcess.prepare``
of a process registered with :meth:`ProcessRegistry.add`).

``PROCDECK_FUZZ_EXAMPLES`` sets the number of examples (default 150).
"""

from __future__ import annotations

import os
from typing import Any

import hypothesis_compat  # noqa: F401  (hypothesis-jsonschema with this Hypothesis)
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from procdeck.forms import InputForm
from procdeck.ogc.jsonschema import to_json_schema
from procdeck.server import ProcessRegistry, create_app
from procdeck.server.registry import RegisteredProcess

EXAMPLES = int(os.environ.get("PROCDECK_FUZZ_EXAMPLES", "150"))
QUALIFIED_KEYS = {"value", "mediaType", "encoding", "schema"}
FORMATS = ("date", "date-time", "time", "email", "uri", "uuid", "ipv4")
LIST_ITEMS = {
    "type": "array",
    "items": [{"type": "integer", "minimum": 0}, {"type": "string", "nullable": True}],
    "additionalItems": False,
}
NULLABLE_ONE_OF = {
    "type": "object",
    "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
    "nullable": True,
}


def register(schema: Any) -> RegisteredProcess:
    registry = ProcessRegistry()
    return registry.add(
        {"id": "p", "inputs": {"x": {"title": "X", "schema": schema}},
         "outputs": {"y": {"schema": {}}}},
        lambda x: x,
    )


def verdicts(process: RegisteredProcess, value: Any) -> tuple[bool, bool]:
    """(form says valid, server says valid) for ``value`` as input ``x``."""
    form = InputForm(process.description)  # as served: hints moved aside, merged back
    form.value = {"x": value}
    assert form.value == {"x": value}, "the form did not keep the value"
    _, problems = process.prepare({"x": value})
    return form.is_valid, not problems


# -- schemas and values ---------------------------------------------------------------------

def _nullable(schema: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.tuples(schema, st.booleans()).map(
        lambda pair: {**pair[0], "nullable": True} if pair[1] else pair[0])


def _number(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    def build(lo: int, span: int, excl_lo: bool, excl_hi: bool, bare: bool) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": kind}
        if not bare:
            schema.update(minimum=lo, maximum=lo + span)
        if excl_lo:
            schema["exclusiveMinimum"] = True  # without a bound (bare) it means nothing
        if excl_hi:
            schema["exclusiveMaximum"] = True
        return schema

    return st.builds(build, st.integers(-5, 5), st.integers(0, 4), st.booleans(),
                     st.booleans(), st.booleans())


STRINGS = st.one_of(
    st.just({"type": "string"}),
    st.builds(lambda lo: {"type": "string", "minLength": lo, "maxLength": lo + 3},
              st.integers(0, 2)),
    st.sampled_from([{"type": "string", "format": f} for f in FORMATS]),
    st.just({"type": "string", "pattern": "^[a-c]+$", "example": "abc"}),
)
ENUMS = st.one_of(
    st.lists(st.sampled_from(["a", "b", "c", "1"]), min_size=1, max_size=3, unique=True)
    .map(lambda options: {"type": "string", "enum": options}),
    st.just({"enum": [1, "a", True]}),
)
LEAVES = _nullable(st.one_of(
    STRINGS, ENUMS, _number("integer"), _number("number"), st.just({"type": "boolean"}),
    st.just({}),
))
NAMES = st.sampled_from(["a", "b", "c"])


def _extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    objects = st.builds(
        lambda props, required, closed, typed: {
            **({"type": "object"} if typed else {}),
            "properties": props,
            **({"required": sorted(required & set(props))} if required & set(props) else {}),
            **({"additionalProperties": False} if closed else {}),
        },
        st.dictionaries(NAMES, children, min_size=1, max_size=3),
        st.sets(NAMES, max_size=2),
        st.booleans(),
        st.booleans(),
    )
    arrays = st.builds(lambda items, lo: {"type": "array", "items": items, "minItems": lo},
                       children, st.integers(0, 2))
    tuples = st.builds(
        lambda items, more: {"type": "array", "items": items,
                             **({} if more is None else {"additionalItems": more})},
        st.lists(children, min_size=1, max_size=3),
        st.one_of(st.none(), st.booleans(), children),
    )
    combined = st.builds(
        lambda keyword, branches, typed: {
            **({"type": "object"} if typed else {}), keyword: branches},
        st.sampled_from(["oneOf", "anyOf", "allOf"]),
        st.lists(children, min_size=1, max_size=3),
        st.booleans(),
    )
    requireds = st.builds(
        lambda keyword, names: {"type": "object", keyword: [{"required": [n]} for n in names]},
        st.sampled_from(["oneOf", "anyOf"]),
        st.lists(NAMES, min_size=2, max_size=3, unique=True),
    )
    return _nullable(st.one_of(objects, arrays, tuples, combined, requireds))


SCHEMAS = st.recursive(LEAVES, _extend, max_leaves=5)


def _with_ref(schema: dict[str, Any]) -> dict[str, Any]:
    return {"definitions": {"T": schema}, "$ref": "#/definitions/T"}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats(-10, 10, allow_nan=False)
    | st.sampled_from(["", "a", "abc", "1", "2025-01-31", "2025-02-30", "12:00:00Z",
                       "2025-01-31T12:00:00Z", "x@y.z", "https://example.org", "not a uri",
                       "123e4567-e89b-12d3-a456-426614174000", "10.0.0.1", "256.0.0.1"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(NAMES, inner, max_size=3),
    max_leaves=8,
)


def _values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    try:
        valid = from_schema(to_json_schema(schema))
    except Exception:  # a keyword hypothesis-jsonschema does not know (prefixItems)
        return JSON
    return st.one_of(valid, JSON)


def _qualified(value: Any) -> bool:
    # the server unwraps {"value": ..., "mediaType": ...}: not the same value any more
    return isinstance(value, dict) and "value" in value and value.keys() <= QUALIFIED_KEYS


# -- the property ---------------------------------------------------------------------------

def test_form_and_server_agree_on_every_value() -> None:
    seen = {True: 0, False: 0}

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(schema=st.one_of(SCHEMAS, SCHEMAS.map(_with_ref)), data=st.data())
    def run(schema: dict[str, Any], data: st.DataObject) -> None:
        value = data.draw(_values(schema), label="value")
        if _qualified(value):
            return
        form_says, server_says = verdicts(register(schema), value)
        assert form_says == server_says, (schema, value)
        seen[server_says] += 1

    run()
    assert seen[True] and seen[False], seen  # both verdicts were met


@pytest.mark.parametrize(
    ("schema", "value", "valid"),
    [
        (NULLABLE_ONE_OF, None, True),
        (NULLABLE_ONE_OF, {"a": 1}, True),
        (NULLABLE_ONE_OF, {"a": 1, "b": 2}, False),
        (NULLABLE_ONE_OF, {}, False),
        (LIST_ITEMS, [1, "a"], True),
        (LIST_ITEMS, [1, None], True),
        (LIST_ITEMS, [1], True),
        (LIST_ITEMS, [-1, "a"], False),
        (LIST_ITEMS, [1, 2], False),
        (LIST_ITEMS, [1, "a", "more"], False),
        ({"type": "number", "minimum": 0, "exclusiveMinimum": True}, 0, False),
        ({"type": "string", "format": "date"}, "2025-02-30", False),
        ({"type": "string", "format": "uri"}, "https://example.org/a", True),
        ({"definitions": {"n": {"type": "integer", "nullable": True}},
          "type": "array", "items": {"$ref": "#/definitions/n"}}, [1, None], True),
        ({"definitions": {"n": {"type": "integer", "nullable": True}},
          "type": "array", "items": {"$ref": "#/definitions/n"}}, ["x"], False),
    ],
)
def test_known_cases(schema: dict[str, Any], value: Any, valid: bool) -> None:
    assert verdicts(register(schema), value) == (valid, valid)


# -- list-form items on the server: 400 for a bad value, never 500 ------------------------

def test_list_form_items_are_checked_by_the_registry() -> None:
    process = register(LIST_ITEMS)
    kwargs, problems = process.prepare({"x": [3, "a"]})
    assert problems == [] and kwargs == {"x": [3, "a"]}
    _, problems = process.prepare({"x": [3, 4, 5]})
    assert {(p.path, p.message) for p in problems} == {
        ("x.1", "4 is not of type 'string', 'null'"),
        ("x", "Expected at most 2 items but found 1 extra: 5"),
    }


def test_list_form_items_answer_400_not_500(tmp_path) -> None:
    registry = ProcessRegistry()
    registry.add(
        {"id": "pair", "inputs": {"x": {"schema": LIST_ITEMS}},
         "outputs": {"y": {"schema": {}}}, "jobControlOptions": ["sync-execute"]},
        lambda x: x,
    )
    app = create_app(registry, store=tmp_path / "jobs.sqlite", data_dir=tmp_path)
    with TestClient(app) as client:
        bad = client.post("/processes/pair/execution", json={"inputs": {"x": ["a"]}})
        assert bad.status_code == 400, bad.text
        assert bad.headers["content-type"] == "application/problem+json"
        assert [e["path"] for e in bad.json()["errors"]] == ["x.0"]
        good = client.post("/processes/pair/execution", json={"inputs": {"x": [1, "a"]}})
        assert good.status_code == 200, good.text
        assert good.json() == [1, "a"]

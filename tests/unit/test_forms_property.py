"""Property test: any instance valid against a supported schema survives a form round trip.

Schemas are drawn from the kinds the engine supports (primitives with bounds
and formats, enums, consts, nullable values, arrays, fixed rows, objects with
required and extra properties, maps, oneOf/anyOf, type lists, $ref); the
instances come from hypothesis-jsonschema. Example counts stay small so the
suite runs in seconds.
"""

from __future__ import annotations

from typing import Any

import hypothesis_compat  # noqa: F401  (hypothesis-jsonschema with this Hypothesis)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from procdeck.forms import InputForm, translate

NAMES = st.sampled_from(["a", "b", "c", "name", "size"])


def _bounded(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    bound = st.integers(-50, 50)
    return st.builds(
        lambda lo, span, excl: {
            "type": kind,
            "minimum": lo,
            "maximum": lo + span,
            **({"exclusiveMinimum": True} if excl else {}),
        },
        bound,
        st.integers(2, 100),
        st.booleans(),
    )


STRINGS = st.one_of(
    st.just({"type": "string"}),
    st.builds(
        lambda lo: {"type": "string", "minLength": lo, "maxLength": lo + 5}, st.integers(0, 3)
    ),
    st.sampled_from([{"type": "string", "format": f} for f in ("date", "email", "uri")]),
    st.just({"type": "string", "pattern": "^[a-z]{1,4}$"}),
    st.just({"type": "string", "contentEncoding": "base64"}),
)
LEAVES = st.one_of(
    STRINGS,
    _bounded("integer"),
    _bounded("number"),
    st.just({"type": "number", "multipleOf": 0.5}),
    st.just({"type": "boolean"}),
    st.lists(st.text("abcxyz", min_size=1, max_size=3), min_size=1, max_size=5, unique=True).map(
        lambda opts: {"type": "string", "enum": opts}
    ),
    st.sampled_from([{"const": "fixed"}, {"const": 3}]),
    st.just({"type": "string", "nullable": True}),
    st.just({"type": ["integer", "null"]}),
    st.just({"type": ["integer", "string"]}),
    st.just({}),
)


def _extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    objects = st.builds(
        lambda props, req, closed: {
            "type": "object",
            "properties": props,
            "required": [n for n in props if n in req],
            **({"additionalProperties": False} if closed else {}),
        },
        st.dictionaries(NAMES, children, min_size=1, max_size=3),
        st.sets(NAMES, max_size=3),
        st.booleans(),
    )
    arrays = st.builds(
        lambda items, lo: {"type": "array", "items": items, "minItems": lo, "maxItems": lo + 3},
        children,
        st.integers(0, 2),
    )
    rows = st.builds(
        lambda kind, size: {
            "type": "array",
            "items": {"type": kind},
            "minItems": size,
            "maxItems": size,
        },
        st.sampled_from(["number", "integer"]),
        st.integers(2, 6),
    )
    multi = st.just({"type": "array", "uniqueItems": True, "items": {"enum": ["r", "g", "b"]}})
    maps = st.builds(lambda value: {"type": "object", "additionalProperties": value}, children)
    choices = st.builds(
        lambda keyword, a, b: {keyword: [a, b]},
        st.sampled_from(["oneOf", "anyOf"]),
        st.sampled_from([{"type": "string"}, {"type": "boolean"}]),
        st.sampled_from(
            [
                {"type": "integer", "minimum": 0},
                {"type": "object", "properties": {"k": {"type": "number"}}, "required": ["k"]},
            ]
        ),
    )
    nullable_objects = objects.map(lambda s: {**s, "nullable": True})
    return st.one_of(objects, arrays, rows, multi, maps, choices, nullable_objects)


SCHEMAS = st.recursive(LEAVES, _extend, max_leaves=6)


def _with_ref(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$defs": {"T": schema}, "$ref": "#/$defs/T"}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(schema=st.one_of(SCHEMAS, SCHEMAS.map(_with_ref)), data=st.data())
def test_any_valid_instance_round_trips_and_is_valid(schema, data):
    instance = data.draw(from_schema(translate(schema)), label="instance")
    form = InputForm({"id": "p", "inputs": {"x": {"title": "X", "schema": schema}}})
    form.value = {"x": instance}
    assert form.value == {"x": instance}
    assert _same_types(form.value["x"], instance)
    assert form.is_valid, form.errors
    # and the widgets' view-models hold it: reading after a reset + reload still matches
    form.reset()
    form.value = {"x": instance}
    assert form.value == {"x": instance}


def _same_types(a: Any, b: Any) -> bool:
    """Equality that also tells True from 1 (JSON schema does)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_types(x, y) for x, y in zip(a, b, strict=True))
    return a == b

"""Keywords beyond 1.0 in ``additionalParameters``: moved out by the server, read back by forms.

The published 1.0 ``schema.yaml`` closes its schema object (``additionalProperties:
false``); UI hints, ``discriminator`` and ``examples`` must live elsewhere in our own
descriptions, while forms built from them look as they would with the hints in the
schema (as peer servers send them).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import panel as pn
import yaml

from procdeck.demo import registry
from procdeck.forms import InputForm
from procdeck.gui import InputFormView
from procdeck.models import InputDescription
from procdeck.schema_extensions import (
    EXTENSIONS_PARAMETER,
    STANDARD_KEYWORDS,
    merge_extensions,
    split_extensions,
    standard_description,
)

DATA = Path(__file__).resolve().parents[1] / "data"

NESTED = {
    "type": "object",
    "x-ui-order": 3,
    "discriminator": {"propertyName": "kind"},
    "properties": {
        "a/b~c": {"type": "string", "x-ui-widget": "textarea", "examples": ["x", "y"]},
        "list": {"type": "array", "items": {"type": "number", "x-ui-widget": "slider"}},
    },
    "oneOf": [{"type": "object"}, {"type": "object", "patternProperties": {"^x": {}}}],
}


def test_the_keyword_list_is_the_published_schema_objects() -> None:
    published = yaml.safe_load((DATA / "ogc-schemas-1.0" / "schema.yaml").read_text())
    branch = next(b for b in published["oneOf"] if "properties" in b)
    assert branch["additionalProperties"] is False
    assert set(branch["properties"]) == STANDARD_KEYWORDS


def test_split_moves_every_other_keyword_by_pointer_and_merge_puts_it_back() -> None:
    original = copy.deepcopy(NESTED)
    clean, moved = split_extensions(NESTED)
    assert original == NESTED  # the input is not touched
    assert moved == {
        "": {"x-ui-order": 3, "discriminator": {"propertyName": "kind"}},
        "/properties/a~1b~0c": {"x-ui-widget": "textarea", "examples": ["x", "y"]},
        "/properties/list/items": {"x-ui-widget": "slider"},
        "/oneOf/1": {"patternProperties": {"^x": {}}},
    }
    assert clean["properties"]["a/b~c"] == {"type": "string", "example": "x"}

    def keys(node: Any) -> set[str]:
        if isinstance(node, dict):
            return set(node) | {k for v in node.values() for k in keys(v)}
        if isinstance(node, list):
            return {k for v in node for k in keys(v)}
        return set()

    assert keys(clean) - STANDARD_KEYWORDS == {"a/b~c", "list"}  # property names only
    block = {"parameters": [{"name": EXTENSIONS_PARAMETER, "value": [moved]}]}
    assert merge_extensions(clean, block) == {**NESTED, "properties": {
        **NESTED["properties"], "a/b~c": {**NESTED["properties"]["a/b~c"], "example": "x"}}}


def test_merge_keeps_what_the_schema_says_and_ignores_pointers_to_nowhere() -> None:
    block = {"parameters": [
        {"name": "other", "value": [{"": {"x-ui-widget": "radio"}}]},
        {"name": EXTENSIONS_PARAMETER, "value": [
            {"": {"title": "ignored", "x-ui-order": 1}, "/properties/gone": {"x": 1},
             "/items/7": {"x": 2}, "no-slash": {"x": 3}},
        ]},
    ]}
    schema = {"title": "Kept", "type": "string"}
    assert merge_extensions(schema, block) == {"title": "Kept", "type": "string", "x-ui-order": 1}
    assert merge_extensions(schema, None) is schema
    assert merge_extensions(schema, {"parameters": "junk"}) == schema


def test_standard_description_joins_parameters_already_there() -> None:
    given = {"title": "X", "schema": {"type": "integer", "x-ui-widget": "slider"},
             "additionalParameters": {"title": "Mine",
                                      "parameters": [{"name": "unit", "value": ["m"]}]}}
    out = standard_description(given)
    assert out["schema"] == {"type": "integer"}
    assert out["additionalParameters"] == {"title": "Mine", "parameters": [
        {"name": "unit", "value": ["m"]},
        {"name": EXTENSIONS_PARAMETER, "value": [{"": {"x-ui-widget": "slider"}}]},
    ]}
    assert standard_description(out) == out  # idempotent
    plain = {"title": "Y", "schema": {"type": "string"}}
    assert standard_description(plain) == plain


def test_served_demo_descriptions_carry_no_foreign_keyword_in_schemas() -> None:
    for process in registry:
        for kind in ("inputs", "outputs"):
            for name, spec in process.description[kind].items():
                _, moved = split_extensions(spec["schema"])
                assert moved == {}, f"{process.id} {kind} {name}: {moved}"


def _peer_style(description: dict[str, Any]) -> dict[str, Any]:
    """The description as a peer server sends it: hints inside the schemas."""
    out = copy.deepcopy(description)
    for spec in out["inputs"].values():
        spec["schema"] = InputDescription.model_validate(spec).full_schema()
        spec.pop("additionalParameters", None)
    return out


def _widgets(view: pn.viewable.Viewable) -> list[tuple[str, str]]:
    def walk(obj: Any) -> Any:
        yield obj
        for child in getattr(obj, "objects", None) or []:
            yield from walk(child)

    return [(type(w).__name__, str(w.name) if isinstance(w, pn.widgets.Widget) else "")
            for w in walk(view)]


def test_showcase_form_is_the_same_with_hints_here_or_in_the_schema() -> None:
    served = registry.get("showcase_inputs").description
    assert "x-ui-widget" not in str([s["schema"] for s in served["inputs"].values()])
    mine, peer = InputForm(served), InputForm(_peer_style(served))
    mine_view, peer_view = InputFormView(mine).__panel__(), InputFormView(peer).__panel__()
    assert _widgets(mine_view) == _widgets(peer_view)
    assert [f.key for f in mine.fields] == [f.key for f in peer.fields]
    assert [f.key for f in mine.advanced_fields] == ["seed"]  # x-ui-advanced
    assert [f.key for f in mine.fields][:3] == ["title", "count", "ratio"]  # x-ui-order
    assert ("FloatSlider", "Ratio") in _widgets(mine_view)  # x-ui-widget: slider
    assert mine.value == peer.value
    # the choice of sources is told apart by its discriminator, kept beside the schema
    source = InputDescription.model_validate(served["inputs"]["source"])
    assert "discriminator" not in source.schema_.to_dict()
    assert source.full_schema()["discriminator"] == {"propertyName": "kind"}
    mine.value = {**mine.value, "title": "T",
                  "source": {"kind": "url", "url": "https://example.org/a"}}
    assert mine.value["source"] == {"kind": "url", "url": "https://example.org/a"}
    assert mine.validate() is True


def test_const_also_leaves_a_one_value_enum() -> None:
    clean, moved = split_extensions({"oneOf": [{"const": 1, "title": "low"},
                                               {"const": 2, "title": "high"}]})
    assert clean == {"oneOf": [{"enum": [1], "title": "low"}, {"enum": [2], "title": "high"}]}
    assert moved == {"/oneOf/0": {"const": 1}, "/oneOf/1": {"const": 2}}


def test_the_server_checks_inputs_against_the_schema_as_given() -> None:
    from procdeck.server import ProcessRegistry

    registry = ProcessRegistry()
    process = registry.add({"id": "p", "inputs": {
        "level": {"schema": {"oneOf": [{"const": 1, "title": "low"},
                                       {"const": 2, "title": "high"}]}},
        "tags": {"schema": {"type": "object", "patternProperties": {"^x-": {"type": "integer"}}},
                 "minOccurs": 0},
    }}, lambda level, tags=None: level)
    served = process.description["inputs"]
    assert "const" not in str(served["level"]["schema"])
    assert "patternProperties" not in served["tags"]["schema"]
    assert process.prepare({"level": 1})[1] == []  # one branch fits: oneOf holds
    assert process.prepare({"level": 3})[1]  # none fits
    problems = process.prepare({"level": 2, "tags": {"x-a": "not a number"}})[1]
    assert [p.input for p in problems] == ["tags"]  # patternProperties still checked
